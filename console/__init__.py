"""End Call Console: check exactly when and how a voice agent hangs up."""

__version__ = "0.1.0"
