"""The manual pages of the userland, installed into the machine's /usr/share/man at boot.

Each ``manN/NAME.N`` file here is one page in libk's plain manual format: section
headings in capitals at column 0 (NAME, SYNOPSIS, DESCRIPTION, OPTIONS, EXIT STATUS,
EXAMPLES, SEE ALSO), bodies indented by seven spaces, lines within 78 columns. ``man``
adds the header and footer lines. The package is found through the ``libk.manpages``
entry-point group, so other packages can ship pages too. System-call pages (section 2)
are not here: the kernel writes them from the system-call table.
"""
