"""The console's widgets: one a file, styled only from styles/lcn.tcss."""
