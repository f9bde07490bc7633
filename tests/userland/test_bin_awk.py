# ruff: noqa: E501
"""awk: programs run in a machine, against GNU awk 5.2's output recorded on a host
(LC_ALL=C), so CI needs no host tools. Where gawk departs from POSIX (octal source
constants, constant folding) the cases are left out."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from test_bin_text_helpers import machine

from userland.libk.awk import values
from userland.libk.awk.builtins import sprintf, substr
from userland.libk.awk.lexer import AwkSyntaxError
from userland.libk.awk.parser import parse

FILES = {
    "a": b"alice 10 x\nbob 20 y\ncarol 30 z\nbob 5 w\n",
    "p": b"root:x:0:0:root:/root:/bin/sh\nuser:x:1000:1000:User:/home/user:/bin/sh\n",
    "n": b"3\n10\n2\nabc\n-1.5\n1e2\n",
    "b": b"x\ny\nz",
    "prog": b'{ print $2 }\n# comment\nEND { print "n=" NR }\n',
    "prog2": b'BEGIN { print 1,\n 2\n if (1)\n  print "nl ok"\n else\n  print "no"\n x = 1 +\\\n 2; print x\n}\nfunction f(a,\n b) { return a b }\nBEGIN { print f(1, 2) }\n',
}

CASES = [
    ("awk '{s+=$2} END {print s}' a", b"65\n", b"", 0),
    ("awk '{print $1}' a", b"alice\nbob\ncarol\nbob\n", b"", 0),
    ("awk '{print $NF}' a", b"x\ny\nz\nw\n", b"", 0),
    (
        "awk '{print NR, NF, $0}' a",
        b"1 3 alice 10 x\n2 3 bob 20 y\n3 3 carol 30 z\n4 3 bob 5 w\n",
        b"",
        0,
    ),
    ("awk -F: '{print $1, $3}' p", b"root 0\nuser 1000\n", b"", 0),
    ("awk -F: -v OFS=- '{print $1, $NF}' p", b"root-/bin/sh\nuser-/bin/sh\n", b"", 0),
    ("awk 'NR==2' a", b"bob 20 y\n", b"", 0),
    ("awk '/bob/' a", b"bob 20 y\nbob 5 w\n", b"", 0),
    ("awk '/bob/ {n++} END {print n}' a", b"2\n", b"", 0),
    ("awk '$2 > 10' a", b"bob 20 y\ncarol 30 z\n", b"", 0),
    ("awk '$2 > 10 {print $1}' a", b"bob\ncarol\n", b"", 0),
    ("awk 'NR==2,NR==3' a", b"bob 20 y\ncarol 30 z\n", b"", 0),
    ("awk '/alice/,/carol/ {print NR}' a", b"1\n2\n3\n", b"", 0),
    (
        "awk '{a[$1]+=$2} END {for (k in a) print k, a[k] | \"sort\"}' a",
        b"alice 10\nbob 25\ncarol 30\n",
        b"",
        0,
    ),
    ("awk 'BEGIN {print 1+2, 7/2, 2^10, 10%3, -3}' ", b"3 3.5 1024 1 -3\n", b"", 0),
    (
        'awk \'BEGIN {printf "%d %5.2f %s %x %o %c %e\\n", 42.9, 3.14159, "str", 255, 8, 65, 12345.678}\'',
        b"42  3.14 str ff 10 A 1.234568e+04\n",
        b"",
        0,
    ),
    ('awk \'BEGIN {x = sprintf("%-5s|%5s|", "ab", "cd"); print x}\'', b"ab   |   cd|\n", b"", 0),
    (
        'awk \'BEGIN {s = "hello world"; print length(s), substr(s, 1, 5), index(s, "o"), toupper(s)}\'',
        b"11 hello 5 HELLO WORLD\n",
        b"",
        0,
    ),
    ('awk \'BEGIN {n = split("a:b:c", arr, ":"); print n, arr[1], arr[3]}\'', b"3 a c\n", b"", 0),
    (
        'awk \'BEGIN {s = "foo bar foo"; n = gsub(/foo/, "[&]", s); print n, s}\'',
        b"2 [foo] bar [foo]\n",
        b"",
        0,
    ),
    ('awk \'BEGIN {s = "foo bar"; sub(/o+/, "0", s); print s}\'', b"f0 bar\n", b"", 0),
    ("awk 'BEGIN {print match(\"xxabcx\", /abc/), RSTART, RLENGTH}'", b"3 3 3\n", b"", 0),
    ("awk '{ $2 = $2 * 2; print }' a", b"alice 20 x\nbob 40 y\ncarol 60 z\nbob 10 w\n", b"", 0),
    (
        "awk '{ $5 = \"new\"; print; print NF }' a",
        b"alice 10 x  new\n5\nbob 20 y  new\n5\ncarol 30 z  new\n5\nbob 5 w  new\n5\n",
        b"",
        0,
    ),
    ("awk '{ NF = 2; print }' a", b"alice 10\nbob 20\ncarol 30\nbob 5\n", b"", 0),
    (
        "awk 'BEGIN { OFS = \":\" } { $1 = $1; print }' a",
        b"alice:10:x\nbob:20:y\ncarol:30:z\nbob:5:w\n",
        b"",
        0,
    ),
    ("awk 'function f(x) { return x * 2 } { print f($2) }' a", b"20\n40\n60\n10\n", b"", 0),
    (
        "awk 'function fact(n) { return n <= 1 ? 1 : n * fact(n - 1) } BEGIN { print fact(10) }'",
        b"3628800\n",
        b"",
        0,
    ),
    ("awk '{ print length }' a", b"10\n8\n10\n7\n", b"", 0),
    ("awk 'length > 7' a", b"alice 10 x\nbob 20 y\ncarol 30 z\n", b"", 0),
    ("awk '$1 ~ /^b/' a", b"bob 20 y\nbob 5 w\n", b"", 0),
    ("awk '$1 !~ /^b/' a", b"alice 10 x\ncarol 30 z\n", b"", 0),
    ("awk '{ print ($2 > 9) }' a", b"1\n1\n1\n0\n", b"", 0),
    ('awk \'BEGIN { if ("10" < "9") print "str"; else print "num" }\'', b"str\n", b"", 0),
    ('awk \'{ if ($1 < $2) print "lt"; else print "ge" }\' n', b"ge\nge\nge\nge\nge\nge\n", b"", 0),
    ("awk '$1 < 5' n", b"3\n2\n-1.5\n", b"", 0),
    ("awk 'BEGIN { while (i < 3) { print i; i++ } }'", b"\n1\n2\n", b"", 0),
    ("awk 'BEGIN { do { print i++ } while (i < 3) }'", b"0\n1\n2\n", b"", 0),
    (
        "awk 'BEGIN { for (i = 0; i < 5; i++) { if (i == 3) break; if (i == 1) continue; print i } }'",
        b"0\n2\n",
        b"",
        0,
    ),
    ("awk 'NR == 1 { next } { print }' a", b"bob 20 y\ncarol 30 z\nbob 5 w\n", b"", 0),
    ("awk 'END { print NR }' a b", b"7\n", b"", 0),
    ("awk '{ print FILENAME, FNR }' a b", b"a 1\na 2\na 3\na 4\nb 1\nb 2\nb 3\n", b"", 0),
    ("awk 'BEGIN { exit 3 } END { print \"end\" }'; echo $?", b"end\n3\n", b"", 0),
    ("awk '{ print; exit }' a", b"alice 10 x\n", b"", 0),
    (
        'awk \'BEGIN { getline; print "got", $0; getline x; print "x", x }\' a',
        b"got alice 10 x\nx bob 20 y\n",
        b"",
        0,
    ),
    ("awk 'BEGIN { while ((getline line < \"b\") > 0) n++; print n }'", b"3\n", b"", 0),
    ("awk 'BEGIN { \"echo hi there\" | getline; print $2 }'", b"there\n", b"", 0),
    (
        'awk \'BEGIN { "echo a; echo b" | getline x; print x; close("echo a; echo b") }\'',
        b"a\n",
        b"",
        0,
    ),
    ('awk \'BEGIN { print "to stderr" > "/dev/stderr" }\'', b"", b"to stderr\n", 0),
    (
        'awk \'BEGIN { print "x" > "out"; print "y" >> "out"; close("out"); while ((getline l < "out") > 0) print "r", l }\'',
        b"r x\nr y\n",
        b"",
        0,
    ),
    ('awk \'BEGIN { system("echo sys") ; print "after" }\'', b"sys\nafter\n", b"", 0),
    ("awk -v n=5 'BEGIN { print n + 1 }'", b"6\n", b"", 0),
    (
        "awk '{ print v, $1 }' v=1 a v=2 b",
        b"1 alice\n1 bob\n1 carol\n1 bob\n2 x\n2 y\n2 z\n",
        b"",
        0,
    ),
    (
        'awk \'BEGIN { a["x"]; delete a["x"]; print length(a); a[1]; a[2]; delete a; print length(a) }\'',
        b"0\n0\n",
        b"",
        0,
    ),
    (
        "awk 'BEGIN { a[1,2] = 3; for (k in a) { split(k, p, SUBSEP); print p[1], p[2] } }'",
        b"1 2\n",
        b"",
        0,
    ),
    ('awk \'BEGIN { if ((1,2) in a) print "yes"; else print "no" }\'', b"no\n", b"", 0),
    (
        "awk 'BEGIN { print 1e6, 1e16, 0.1 + 0.2, 100000 * 100000, 3.0, -0 }'",
        b"1000000 10000000000000000 0.3 10000000000 3 0\n",
        b"",
        0,
    ),
    (
        'awk \'BEGIN { OFMT = "%.2f"; print 3.14159; x = 3.14159 ""; print x }\'',
        b"3.14\n3.14159\n",
        b"",
        0,
    ),
    ('awk \'BEGIN { CONVFMT = "%.2f"; x = 3.14159 ""; print x }\'', b"3.14\n", b"", 0),
    (
        'awk \'BEGIN { print substr("hello", 0), substr("hello", -1, 3), substr("hello", 2.5, 2) }\'',
        b"hello hel el\n",
        b"",
        0,
    ),
    (
        "awk 'BEGIN { print int(3.9), int(-3.9), sqrt(16), exp(0), log(1), sin(0), cos(0), atan2(0, -1) }'",
        b"3 -3 4 1 0 0 1 3.14159\n",
        b"",
        0,
    ),
    (
        'awk \'BEGIN { print tolower("ABC"), 1 == 1.0, "a" < "b", 2 < 10, "2" < "10" }\'',
        b"abc 1 1 1 0\n",
        b"",
        0,
    ),
    ("awk '{ print $1 == 10 }' n", b"0\n1\n0\n0\n0\n0\n", b"", 0),
    (
        'awk \'BEGIN { RS = "" } { print NR ": " $0 }\' a',
        b"1: alice 10 x\nbob 20 y\ncarol 30 z\nbob 5 w\n",
        b"",
        0,
    ),
    (
        "awk 'BEGIN { RS = \";\" } { print }' p",
        b"root:x:0:0:root:/root:/bin/sh\nuser:x:1000:1000:User:/home/user:/bin/sh\n\n",
        b"",
        0,
    ),
    ("awk 'BEGIN { FS = \"\" } { print $1, $3 }' b", b"x \ny \nz \n", b"", 0),
    ("awk -F '[0-9]+' '{ print $2 }' p", b":\n:\n", b"", 0),
    ("awk -F'\\t' '{ print $1 }' a", b"alice 10 x\nbob 20 y\ncarol 30 z\nbob 5 w\n", b"", 0),
    ("awk '{ printf \"%s-%s\\n\", $1, $2 }' a", b"alice-10\nbob-20\ncarol-30\nbob-5\n", b"", 0),
    ("awk 'BEGIN { printf \"%5.1f%%\\n\", 45.678 }'", b" 45.7%\n", b"", 0),
    ("awk 'BEGIN { printf \"%*d|%-*d|\\n\", 5, 42, 4, 7 }'", b"   42|7   |\n", b"", 0),
    (
        'awk \'BEGIN { x["a"] = 1; f(x); print x["a"] } function f(arr) { arr["a"] = 2 }\'',
        b"2\n",
        b"",
        0,
    ),
    (
        'awk \'function g(arr) { arr["k"] = 1 } BEGIN { g(z); print length(z), z["k"] }\'',
        b"1 1\n",
        b"",
        0,
    ),
    ("awk 'BEGIN { print length() }' < a", b"0\n", b"", 0),
    ("awk '{ $0 = \"new record\"; print $2 }' b", b"record\nrecord\nrecord\n", b"", 0),
    (
        "awk '{ sum = 0; for (i = 1; i <= NF; i++) sum += $i; print sum }' n",
        b"3\n10\n2\n0\n-1.5\n100\n",
        b"",
        0,
    ),
    ("awk '!seen[$1]++' a", b"alice 10 x\nbob 20 y\ncarol 30 z\n", b"", 0),
    ("awk 'NF' a", b"alice 10 x\nbob 20 y\ncarol 30 z\nbob 5 w\n", b"", 0),
    (
        'awk \'{ print > "o_" $1 } END { close("o_bob"); while ((getline l < "o_bob") > 0) print l }\' a',
        b"bob 20 y\nbob 5 w\n",
        b"",
        0,
    ),
    (
        "awk 'BEGIN { printf \"%s\\n\" }'; echo $?",
        b"2\n",
        b"awk: cmd. line:1: fatal: not enough arguments to satisfy format string\n\t`%s\n'\n\t ^ ran out for this one\n",
        0,
    ),
    (
        "awk '{print $1' a; echo $?",
        b"1\n",
        b"awk: cmd. line:1: {print $1\nawk: cmd. line:1:          ^ unexpected newline or end of string\n",
        0,
    ),
    (
        "awk 'BEGIN { x = }'; echo $?",
        b"1\n",
        b"awk: cmd. line:1: BEGIN { x = }\nawk: cmd. line:1:             ^ syntax error\n",
        0,
    ),
    (
        "awk '{ print }' nofile; echo $?",
        b"2\n",
        b"awk: fatal: cannot open file `nofile' for reading: No such file or directory\n",
        0,
    ),
    ("awk 'BEGIN { print -2^2, 2^3^2, !0, !1, 1 - -1 }'", b"-4 512 1 0 2\n", b"", 0),
    (
        "awk 'BEGIN { x = 5; x += 2; x -= 1; x *= 3; x /= 2; x %= 5; x ^= 2; print x }'",
        b"16\n",
        b"",
        0,
    ),
    ('awk \'BEGIN { print 1 " " 2, 1+1 "x" }\'', b"1 2 2x\n", b"", 0),
    ('awk \'BEGIN { s = "aaa"; print gsub(/x*/, "-", s), s }\'', b"4 -a-a-a-\n", b"", 0),
    ('awk \'BEGIN { print index("abc", ""), length(12345) }\'', b"1 5\n", b"", 0),
    ("awk '{ print $(NF-1) }' a", b"10\n20\n30\n5\n", b"", 0),
    ('awk \'BEGIN { n = split("  a  b  ", arr); print n, "[" arr[1] "]" }\'', b"2 [a]\n", b"", 0),
    ("awk 'BEGIN { print substr(\"hello\", 2) }'", b"ello\n", b"", 0),
    (
        'awk \'BEGIN { $0 = "a b c"; print NF; $7 = "x"; print; print NF }\'',
        b"3\na b c    x\n7\n",
        b"",
        0,
    ),
    ('awk \'BEGIN { printf("%c%c\\n", "hello", 256+66) }\'', b"hB\n", b"", 0),
    ("awk 'BEGIN { print length(\"x\" 1 2) }'", b"3\n", b"", 0),
    ("awk '$2 ~ \"^[0-9]+$\" { c++ } END { print c+0 }' a", b"4\n", b"", 0),
    ('awk \'BEGIN { if (!("x" in a)) print "absent"; print length(a) }\'', b"absent\n0\n", b"", 0),
    (
        "awk '{ lines[NR] = $0 } END { for (i = NR; i > 0; i--) print lines[i] }' a",
        b"bob 5 w\ncarol 30 z\nbob 20 y\nalice 10 x\n",
        b"",
        0,
    ),
    (
        'awk \'BEGIN { print substr("hello", 0), substr("hello", -1, 3), substr("hello", 2.5, 2), substr("hello", 1.7, 2) }\'',
        b"hello hel el he\n",
        b"",
        0,
    ),
    (
        "awk 'BEGIN { printf \"ab %d %s\\n\", 1 }'; echo $?",
        b"2\n",
        b"awk: cmd. line:1: fatal: not enough arguments to satisfy format string\n\t`ab %d %s\n'\n\t       ^ ran out for this one\n",
        0,
    ),
    (
        "awk 'BEGIN { x = 0; print 1/x }'; echo $?",
        b"2\n",
        b"awk: cmd. line:1: fatal: division by zero attempted\n",
        0,
    ),
    (
        "awk '{ x = 0; print 1/x }' a; echo $?",
        b"2\n",
        b"awk: cmd. line:1: (FILENAME=a FNR=1) fatal: division by zero attempted\n",
        0,
    ),
    (
        "awk 'BEGIN { x = 0; print 1%x }'; echo $?",
        b"2\n",
        b"awk: cmd. line:1: fatal: division by zero attempted in `%'\n",
        0,
    ),
    (
        "awk '{ print }' nofile a; echo $?",
        b"2\n",
        b"awk: fatal: cannot open file `nofile' for reading: No such file or directory\n",
        0,
    ),
    ('awk \'BEGIN { getline < "nofile"; print "ok" }\'', b"ok\n", b"", 0),
    ("awk 'BEGIN { print (getline l < \"nofile\") }'", b"-1\n", b"", 0),
    ("awk 'END { print $0, NF }' a", b"bob 5 w 3\n", b"", 0),
    ("awk -f prog a", b"10\n20\n30\n5\nn=4\n", b"", 0),
    ("awk 'BEGIN { x; print length(x), x + 0, x == 0, x == \"\" }'", b"0 0 1 1\n", b"", 0),
    (
        "awk '{ $3 = \"\"; print; print NF }' a",
        b"alice 10 \n3\nbob 20 \n3\ncarol 30 \n3\nbob 5 \n3\n",
        b"",
        0,
    ),
    (
        'awk \'BEGIN { printf "%i %u %5s %-5d| %05d %+d %.3s\\n", 3.7, 5, "ab", 3, 42, 5, "abcdef" }\'',
        b"3 5    ab 3    | 00042 +5 abc\n",
        b"",
        0,
    ),
    (
        "awk 'BEGIN { printf \"%.2e %G %g %g\\n\", 1234.5, 0.0001, 1e10, 123456789 }'",
        b"1.23e+03 0.0001 1e+10 1.23457e+08\n",
        b"",
        0,
    ),
    ('awk \'{ print NR ":" $0 > "/dev/stdout" }\' b', b"1:x\n2:y\n3:z\n", b"", 0),
    ("echo 'a b' | awk '{ print $1 }' -", b"a\n", b"", 0),
    ("echo 'x,y;z' | awk -F '[,;]' '{ print $3, NF }'", b"z 3\n", b"", 0),
    ("echo 'a  b' | awk -F ' ' '{ print $2 }'", b"b\n", b"", 0),
    ("echo 'a:b' | awk '{ FS = \":\"; print $1 } END { print NR }'", b"a:b\n1\n", b"", 0),
    ("printf 'a:b\\nc:d\\n' | awk '{ FS = \":\" } { print $1 }'", b"a:b\nc\n", b"", 0),
    ("echo '5 apples' | awk '{ $1 *= 2 } 1'", b"10 apples\n", b"", 0),
    ("echo 'test' | awk '{ print toupper(substr($0, 1, 1)) substr($0, 2) }'", b"Test\n", b"", 0),
    ("printf '1\\n2\\n3\\n' | awk '{ s += $1 } END { print s / NR }'", b"2\n", b"", 0),
    (
        "printf '3\\n1\\n2\\n' | awk 'NR == 1 || $1 > max { max = $1 } END { print max }'",
        b"3\n",
        b"",
        0,
    ),
    (
        "printf 'a b c\\n' | awk '{ for (i = NF; i > 0; i--) printf \"%s%s\", $i, (i > 1 ? OFS : ORS) }'",
        b"c b a\n",
        b"",
        0,
    ),
    ("printf 'k1 v1\\nk2 v2\\n' | awk '{ print $2 \"=\" $1 }'", b"v1=k1\nv2=k2\n", b"", 0),
    ("printf 'x\\n\\ny\\n' | awk 'NF { c++ } END { print c }'", b"2\n", b"", 0),
    (
        "printf 'one\\ntwo\\n' | awk -v ORS=, '{ print } END { printf \"\\n\" }'",
        b"one,two,\n",
        b"",
        0,
    ),
    ("printf 'a\\tb c\\n' | awk -F'\\t' '{ print $2 }'", b"b c\n", b"", 0),
    ("printf 'a b\\n' | awk '{ print $0 }' OFS=- ", b"a b\n", b"", 0),
    ("awk 'BEGIN { print ARGC, ARGV[1], ARGV[2] }' x y", b"3 x y\n", b"", 0),
    (
        'awk \'BEGIN { n = split("2024-01-15", d, "-"); print d[1] + 0, d[2] + 0, d[3] + 0 }\'',
        b"2024 1 15\n",
        b"",
        0,
    ),
    ('awk \'BEGIN { s = "a.b.c"; gsub(".", "-", s); print s }\'', b"-----\n", b"", 0),
    ('awk \'BEGIN { s = "a.b.c"; gsub(/\\./, "-", s); print s }\'', b"a-b-c\n", b"", 0),
    ('awk \'BEGIN { s = "path/to/file"; n = split(s, p, "/"); print p[n] }\'', b"file\n", b"", 0),
    ('awk \'BEGIN { s = "hello"; sub(/l/, "\\\\&", s); print s }\'', b"he&lo\n", b"", 0),
    ("awk '/^[[:upper:]]/ { print }' p", b"", b"", 0),
    ("awk '{ print $1, $2 }' FS=: p", b"root x\nuser x\n", b"", 0),
    ('awk \'BEGIN { printf "%d\\n", "3abc" }\'', b"3\n", b"", 0),
    ("awk 'BEGIN { print 2 \" \" -1 }'", b"2-1\n", b"", 0),
    ("awk 'BEGIN { a = \"x\"; a = a a a; print a }'", b"xxx\n", b"", 0),
    ("awk 'BEGIN{i=5; print i++ + ++i, i}'", b"12 7\n", b"", 0),
    ("awk '{print $1}{print $2}' b", b"x\n\ny\n\nz\n\n", b"", 0),
    ('awk \'BEGIN { print index("foobar", "bar") }\'', b"4\n", b"", 0),
    ("awk 'BEGIN { while ((\"echo a b c\" | getline w) > 0) print w }'", b"a b c\n", b"", 0),
    (
        'awk \'BEGIN { print "b\\na" | "sort"; close("sort"); print "done" }\'',
        b"a\nb\ndone\n",
        b"",
        0,
    ),
    ("awk 'BEGIN { print | \"cat\" }'; echo $?", b"\n0\n", b"", 0),
    ("awk -f prog2", b"1 2\nnl ok\n3\n12\n", b"", 0),
    ("awk 'BEGIN { x = 1 } ; END { print x }' < /dev/null", b"1\n", b"", 0),
    ('awk \'BEGIN { printf "%s %s\\n", "a", "b" > "/dev/stderr" }\'', b"", b"a b\n", 0),
    ("awk 'BEGIN { print substr(\"abc\", 2, 100000) }'", b"bc\n", b"", 0),
    ("awk '{ n[$1]++ } END { for (k in n) if (n[k] > 1) print k }' a", b"bob\n", b"", 0),
    ("awk 'END { print length(x) }' a", b"0\n", b"", 0),
    ('awk \'BEGIN { print -"3", +"4x" }\'', b"-3 4\n", b"", 0),
    (
        'awk \'BEGIN { print 1 > 2 ? "a" : "b" }\'; cat 2 2>/dev/null; echo',
        b"\n",
        b'awk: cmd. line:1: BEGIN { print 1 > 2 ? "a" : "b" }\nawk: cmd. line:1:                     ^ syntax error\n',
        0,
    ),
    ('awk \'BEGIN { $3 = "c"; print NF, $0 "|" }\'', b"3   c|\n", b"", 0),
]


def test_recorded_cases() -> None:
    results = machine([c for c, *_ in CASES], FILES)
    for (cmd, out, err, status), got in zip(CASES, results, strict=True):
        assert (got.out, got.err, got.status) == (out, err, status), cmd


def test_usage_and_syntax_errors() -> None:
    none, bad, help_, syntax = machine(["awk", "awk -z", "awk --help", "awk 'BEGIN { x = }'"])
    assert none.status == 1 and none.err.startswith(b"Usage: awk [POSIX or GNU style options]")
    assert bad.status == 1 and bad.err.startswith(b"awk: invalid option -- 'z'\nUsage: awk")
    assert help_.status == 0 and help_.out.startswith(b"Usage: awk")
    assert syntax.status == 1
    assert syntax.err == (
        b"awk: cmd. line:1: BEGIN { x = }\nawk: cmd. line:1:             ^ syntax error\n"
    )


@pytest.mark.parametrize(
    ("text", "num", "is_strnum"),
    [(" 12 ", 12.0, True), ("1e3", 1000.0, True), ("3abc", 3.0, False), ("", 0.0, False),
     ("-.5", -0.5, True), ("+4", 4.0, True), ("0x1A", 0.0, False), (".", 0.0, False)],
)  # fmt: skip
def test_numeric_strings(text: str, num: float, is_strnum: bool) -> None:
    value = values.strnum(text)
    assert isinstance(value, values.StrNum) == is_strnum
    assert values.to_num(value) == num


def test_comparisons_follow_posix() -> None:
    assert values.compare(values.strnum("10"), values.strnum("9"), ">")
    assert not values.compare("10", "9", ">")  # string constants compare as strings
    assert values.compare(None, 0.0, "==") and values.compare(None, "", "==")
    assert values.num_to_str(0.1 + 0.2) == "0.3" and values.num_to_str(1e16) == "10000000000000000"


def test_sprintf_and_substr() -> None:
    assert sprintf("%5.2f|%-3d|%c|%c", [3.14159, 7.0, 65.0, "hi"]) == " 3.14|7  |A|h"
    assert substr("hello", 2.0, 3.0) == "ell" and substr("hello", 9.0, None) == ""


@pytest.mark.parametrize(
    "src", ["{ print $1", "BEGIN { x = }", "{ a[ }", "BEGIN { f(1 }", '{ print "x }']
)
def test_parse_errors_are_syntax_errors(src: str) -> None:
    with pytest.raises(AwkSyntaxError):
        parse(src)


_TOKENS = [*'{}()[];,$/"\\\n !~<>=+-*^%?:|&abxz019.', "BEGIN", "END", "print", "printf",
           "getline", "in", "for", "if", "else", "function", "f(", "length", "delete",
           "while", "do", "NF", "$0", "++", "--", "&&", "||", " in "]  # fmt: skip


@settings(derandomize=True, max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(_TOKENS), max_size=14))
def test_parser_never_crashes(tokens: list[str]) -> None:
    try:
        parse("".join(tokens))
    except AwkSyntaxError as err:
        assert str(err)


MORE_CASES = [
    ("echo 65 | awk '{ printf \"%c\\n\", $1 }'", b"A\n", b"", 0),
    ("printf '10 9\\n2 10\\nabc 10\\n' | awk '{ print ($1 > $2) }'", b"1\n0\n1\n", b"", 0),
    ("printf '1e1 10\\n0x10 16\\n' | awk '{ print ($1 == $2) }'", b"1\n0\n", b"", 0),
    (
        "awk 'BEGIN { foo(1) }'; echo $?",
        b"2\n",
        b"awk: cmd. line:1: fatal: function `foo' not defined\n",
        0,
    ),
    (
        "awk 'BEGIN { x[1] = 1; print x }'; echo $?",
        b"2\n",
        b"awk: cmd. line:1: fatal: attempt to use array `x' in a scalar context\n",
        0,
    ),
    (
        "awk 'BEGIN { x = 1; x[1] = 2 }'; echo $?",
        b"2\n",
        b"awk: cmd. line:1: fatal: attempt to use scalar `x' as an array\n",
        0,
    ),
    ("awk 'function f(a) { a[1] = 5 } BEGIN { f(q); print q[1] }'", b"5\n", b"", 0),
    ("awk 'BEGIN { \"date +%Y >/dev/null; echo 42\" | getline v; print v + 1 }'", b"43\n", b"", 0),
    (
        'awk \'BEGIN { printf "%s|%5.1s|%-4s|\\n", "abc", "xyz", "q" }\'',
        b"abc|    x|q   |\n",
        b"",
        0,
    ),
    ("awk 'BEGIN { x = \"A\"; y = x++; print x, y }'", b"1 0\n", b"", 0),
    ("awk 'BEGIN { print length(12.50), 12.50 \"\" }'", b"4 12.5\n", b"", 0),
    ("awk 'BEGIN { print 100/3 }'", b"33.3333\n", b"", 0),
    ("printf 'a b\\nc d\\n' | awk 'END { print NR, $1 }'", b"2 c\n", b"", 0),
    ("printf 'a,b,c\\n' | awk 'BEGIN { FS = \",\" } { $2 = \"X\"; print }'", b"a X c\n", b"", 0),
    (
        "printf 'a,b,c\\n' | awk 'BEGIN { FS = \",\"; OFS = \";\" } { $1 = $1 } 1'",
        b"a;b;c\n",
        b"",
        0,
    ),
    ("printf 'x y z\\n' | awk '{ NF--; print }'", b"x y\n", b"", 0),
    ("printf 'l1\\nl2\\nl3\\n' | awk 'NR % 2'", b"l1\nl3\n", b"", 0),
    ("printf 'l1\\nl2\\nl3\\n' | awk '{ getline; print }'", b"l2\nl3\n", b"", 0),
    (
        "printf 'l1\\nl2\\nl3\\n' | awk 'NR==1 { while ((getline tmp) > 0) last = tmp } END { print last, NR }'",
        b"l3 3\n",
        b"",
        0,
    ),
    ('awk \'BEGIN { s = "foo"; s = s "bar" 1 + 2; print s }\'', b"foobar3\n", b"", 0),
    (
        'awk \'BEGIN { print index("a.b", ".") ; print match("aaa", /b/), RSTART, RLENGTH }\'',
        b"2\n0 0 -1\n",
        b"",
        0,
    ),
    (
        'awk \'BEGIN { s = "aXbXc"; n = gsub("X", "\\\\\\\\", s); print n, s }\'',
        b"2 a\\\\b\\\\c\n",
        b"",
        0,
    ),
    ("awk 'BEGIN { print toupper(123), tolower(\"MiXeD\") }'", b"123 mixed\n", b"", 0),
    ('awk \'BEGIN { print substr("hello", 2, -1) "|" }\'', b"|\n", b"", 0),
    ("awk 'BEGIN { a = 1; b = \"1\"; print (a == b) }'", b"1\n", b"", 0),
    ("echo '3 3.0' | awk '{ print ($1 == $2), ($1 \"\" == $2 \"\") }'", b"1 0\n", b"", 0),
    (
        'awk \'BEGIN { x["a"] = 1; x["b"] = 2; n = 0; for (k in x) n += x[k]; print n }\'',
        b"3\n",
        b"",
        0,
    ),
    ("awk 'BEGIN { print (1 in a), length(a) }'", b"0 0\n", b"", 0),
    (
        "awk 'BEGIN{ printf \"%x %X %o %e\\n\", -1, 255, -8, 0 }'",
        b"ffffffffffffffff FF 1777777777777777777770 0.000000e+00\n",
        b"",
        0,
    ),
    ("awk 'BEGIN { print 1e300 * 1e300, -1e300 * 1e300 }'", b"+inf -inf\n", b"", 0),
    ("awk 'BEGIN { print log(-1) }' 2>/dev/null", b"-nan\n", b"", 0),
    (
        'awk \'BEGIN { s = "aXbXc"; n = gsub("X", "\\\\\\\\", s); print n, s }\'',
        b"2 a\\\\b\\\\c\n",
        b"",
        0,
    ),
    (
        'awk \'BEGIN { s = "aXb"; gsub("X", "[\\\\&]", s); print s; t = "aXb"; gsub(/X/, "\\\\\\\\&", t); print t }\'',
        b"a[&]b\na\\Xb\n",
        b"",
        0,
    ),
    (
        "awk 'BEGIN{ printf \"%x %X %o %e %u\\n\", -1, 255, -8, 0, -2 }'",
        b"ffffffffffffffff FF 1777777777777777777770 0.000000e+00 18446744073709551614\n",
        b"",
        0,
    ),
    ('awk \'BEGIN { printf "%d %d\\n", "1e3", -2.9 }\'', b"1000 -2\n", b"", 0),
    ("awk 'BEGIN { print sqrt(-1) }' 2>/dev/null", b"-nan\n", b"", 0),
]


def test_more_recorded_cases() -> None:
    """Numeric strings from input, arrays as parameters, printf's conversions,
    replacement backslashes (gawk's rules), infinities and NaN."""
    results = machine([c for c, *_ in MORE_CASES], FILES)
    for (cmd, out, err, status), got in zip(MORE_CASES, results, strict=True):
        assert (got.out, got.err, got.status) == (out, err, status), cmd
