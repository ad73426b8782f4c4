#!/usr/bin/env python3
"""Runs a command on a pseudo-terminal and shows what a person would have seen on the screen.

    pty_screen.py COLUMNS ROWS COMMAND [ARG...]

The command runs with its stdin, stdout and stderr on a new pseudo-terminal of COLUMNS x ROWS
(set with TIOCSWINSZ, so that the command's ioctl finds it; COLUMNS is removed from its
environment). Everything it writes goes through pyte, a VT100 emulator (PyPI: pyte), as through
a terminal. Prints one JSON object: {"status": EXIT_STATUS, "screens": [...], "final": [...]}:
each screen is the list of its lines (trailing spaces and empty lines at the end dropped), one
for every distinct screen seen after a read, and "final" the last. ROWS should be large enough
that nothing scrolls away.
"""
import fcntl
import json
import os
import pty
import struct
import sys
import termios

import pyte


def lines(screen):
    shown = [line.rstrip() for line in screen.display]
    while shown and not shown[-1]:
        shown.pop()
    return shown


def main():
    columns, rows, command = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3:]
    screen = pyte.Screen(columns, rows)
    # A terminal turns "\n" into "\r\n" (ONLCR); pyte's LNM mode does the same.
    screen.set_mode(pyte.modes.LNM)
    stream = pyte.ByteStream(screen)
    pid, fd = pty.fork()
    if pid == 0:
        fcntl.ioctl(sys.stdout.fileno(), termios.TIOCSWINSZ, struct.pack("HHHH", rows, columns, 0, 0))
        environment = dict(os.environ)
        environment.pop("COLUMNS", None)
        environment["TERM"] = "xterm"
        os.execvpe(command[0], command, environment)
    fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", rows, columns, 0, 0))
    screens = []
    while True:
        try:
            data = os.read(fd, 65536)
        except OSError:  # EIO: the command and its children closed the terminal
            break
        if not data:
            break
        stream.feed(data)
        shown = lines(screen)
        if not screens or screens[-1] != shown:
            screens.append(shown)
    _, status = os.waitpid(pid, 0)
    print(json.dumps({"status": os.waitstatus_to_exitcode(status), "screens": screens, "final": lines(screen)}))


if __name__ == "__main__":
    main()
