"""The read side: named reads batched into one pipelined round trip (`batch`), one module per
thing a screen or report shows (counts, money, nodes, jobs, map, agents, triage, detail), and
`snapshot`, which gathers the console's panes into one poll.

This package holds data only; how it is worded and drawn lives in `console/`."""
