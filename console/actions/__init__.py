"""What the console's keys do. `dispatch` runs every command that writes (read-only refusal,
confirmation, the core action, its outcome); `jobs`, `nodes` and `money` say what each such
command does; `views` and `navigate` change what is on screen."""
