"""Replay: the console plays a pool's recordings (core/swarm/recorder.py) in the same panes,
read-only, with a timeline in the status line. `times` reads TIME arguments, `timeline` is the
position, speed and play state, `source` feeds the poller recorded snapshots, `control` is
what the keys and `:replay` do."""
