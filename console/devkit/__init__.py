"""Tools that start the console as well as the network: `lcn demo` (`demo`) and
`lcn bench console` (`console_bench`). What they need from core that is not the domain (the
seed, the stand-in, the demo's jobs and money) is in core/devkit."""
