"""The swarm: nodes that take jobs from the network and run them."""
