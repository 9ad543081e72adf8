"""Report: stored results rendered for people: the terminal summary and failure text (`terminal`, with what a
short summary leaves out decided in `digest`; the variants' lines in `leaderboard`, the pairwise judges' in
`pairwise`), Markdown (`markdown`), JUnit properties (`junit`), the HTML report (`html`, what it computes in
`html_view`, its page in `html_assets/`), and secrets masked in all of them (`redact`). Imports neither pytest nor
the collect/run stages.

Internal: the CLI and the plugin call these renderers.
"""

__all__: list[str] = []
