#!/usr/bin/python3
# tests/freeport.py [COUNT]: print the first of COUNT (default 1)
# consecutive TCP ports that are free on 127.0.0.1 now, and the last when
# COUNT > 1 ("FIRST LAST").
#
# The ports are drawn at random from BELOW the kernel's ephemeral range
# (/proc/sys/net/ipv4/ip_local_port_range). A test picks a port, then starts
# its server there a while later; a port from inside that range (as bind
# to port 0 gives) can be taken meanwhile as the local end of any outgoing
# connection, curl's polling included, and the server then fails with
# EADDRINUSE. Seen in CI's fresh root: phpMyAdmin's nginx could not bind
# the port picked for it. Below the range, only another explicit bind can
# take it, and the random draw keeps concurrent tests apart.
import random
import socket
import sys

count = int(sys.argv[1]) if len(sys.argv) > 1 else 1
try:
    with open("/proc/sys/net/ipv4/ip_local_port_range") as f:
        low, high = (int(x) for x in f.read().split())
except (OSError, ValueError):
    low, high = 32768, 60999
# The part of 1024..65535 outside [low, high]: below it if it has room.
if low - 10000 >= 2000:
    first, last = 10000, low - count
elif high + 1 <= 65535 - 2000:
    first, last = high + 1, 65535 - count
else:
    first, last = 1024, 65535 - count
for _ in range(500):
    base = random.randrange(first, last + 1)
    socks = []
    try:
        for i in range(count):
            s = socket.socket()
            socks.append(s)
            s.bind(("127.0.0.1", base + i))
    except OSError:
        continue
    finally:
        for s in socks:
            s.close()
    print(base if count == 1 else "%d %d" % (base, base + count - 1))
    sys.exit(0)
print("freeport.py: no %d free port(s) found in 500 draws" % count, file=sys.stderr)
sys.exit(1)
