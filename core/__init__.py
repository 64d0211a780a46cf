"""lcn core: the Lit Compute Network's state and behaviour, all of it kept in Redis."""
