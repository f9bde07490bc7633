"""A POSIX awk: :mod:`.lexer` (tokens), :mod:`.parser` (the syntax tree), :mod:`.values`
(numbers, strings and the numeric-string rules), :mod:`.interp` (running a program) and
:mod:`.builtins` (printf and the string and math functions)."""
