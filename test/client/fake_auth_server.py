#!/usr/bin/env python3
"""fake_auth_server.py SOCKET_DIR PORT LOG: a stand-in PostgreSQL server that
only asks for a password, for testing the client's password prompt.

It listens on SOCKET_DIR/.s.PGSQL.PORT, asks each connection for a
cleartext password (the protocol's AuthenticationCleartextPassword), writes
"no password" or "password X" to LOG, and refuses the login with SQLSTATE
28P01 and a message naming what it got.  It serves two connections at most
(the client's attempt without a password and its retry) and exits.
"""
import os
import socket
import struct
import sys


def recv_exact(conn, n):
    data = b""
    while len(data) < n:
        chunk = conn.recv(n - len(data))
        if not chunk:
            return None
        data += chunk
    return data


def main():
    sockdir, port, logpath = sys.argv[1], sys.argv[2], sys.argv[3]
    path = os.path.join(sockdir, ".s.PGSQL.%s" % port)
    srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    srv.bind(path)
    srv.listen(2)
    srv.settimeout(60)
    with open(logpath, "w") as log:
        log.write("listening\n")
        log.flush()
        for _ in range(2):
            try:
                conn, _ = srv.accept()
            except socket.timeout:
                break
            head = recv_exact(conn, 4)
            if head is None:
                conn.close()
                continue
            recv_exact(conn, struct.unpack("!I", head)[0] - 4)     # startup packet
            conn.sendall(b"R" + struct.pack("!II", 8, 3))          # send a password
            kind = recv_exact(conn, 1)
            if kind != b"p":
                log.write("no password\n")
                log.flush()
                conn.close()
                continue
            n = struct.unpack("!I", recv_exact(conn, 4))[0]
            pw = recv_exact(conn, n - 4).rstrip(b"\0").decode()
            log.write("password %s\n" % pw)
            log.flush()
            msg = b"SFATAL\0VFATAL\0C28P01\0Mfake server got password " + pw.encode() + b"\0\0"
            conn.sendall(b"E" + struct.pack("!I", len(msg) + 4) + msg)
            conn.close()
            break
    os.unlink(path)


if __name__ == "__main__":
    main()
