"""Report: stored results rendered for people: the terminal summary and failure text (`terminal`, with what a
short summary leaves out decided in `digest`), Markdown (`markdown`), JUnit properties (`junit`), and secrets
masked in all of them (`redact`). Imports neither pytest nor the collect/run stages.

Internal: the CLI and the plugin call these renderers.
"""

__all__: list[str] = []
