"""The console's stylesheets (TCSS). A package only so that they ship inside the wheel and an
installed console finds them through importlib.resources (`console.app.stylesheet`)."""
