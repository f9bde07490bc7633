"""Networking: AF_UNIX sockets (``unix``: the socket; ``names``: where sockets are
found, in the file system and the abstract namespace; ``scm``: ancillary data, passing
open files and credentials; ``procnet``: /proc/net). Linux's net/unix is the model."""
