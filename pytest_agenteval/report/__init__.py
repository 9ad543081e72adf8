"""Report: stored results rendered for people: the terminal summary and failure text (`terminal`), Markdown
(`markdown`) and JUnit properties (`junit`). Imports neither pytest nor the collect/run stages.

Internal: the CLI and the plugin call these renderers.
"""

__all__: list[str] = []
