#!/usr/bin/env python3
"""A broker that accepts connections and then never acknowledges a publish:
what a wedged broker or a half-open link looks like to the gateway.

    mqtt_stall.py PORT LOG

Answers CONNECT with CONNACK, SUBSCRIBE with SUBACK and PINGREQ with
PINGRESP (so keep-alive alone never ends the connection), ignores every
PUBLISH, and appends one line per accepted connection to LOG.
"""
import socket
import sys
import threading


def read_exact(conn, n):
    data = b""
    while len(data) < n:
        chunk = conn.recv(n - len(data))
        if not chunk:
            raise EOFError
        data += chunk
    return data


def serve(conn, log, lock):
    try:
        while True:
            header = read_exact(conn, 1)[0]
            length, shift = 0, 0
            while True:
                b = read_exact(conn, 1)[0]
                length |= (b & 0x7F) << shift
                shift += 7
                if not b & 0x80:
                    break
            body = read_exact(conn, length)
            kind = header >> 4
            if kind == 1:  # CONNECT: level 5 has a properties length in CONNACK
                level = body[6] if len(body) > 6 else 4
                conn.sendall(b"\x20\x03\x00\x00\x00" if level == 5 else b"\x20\x02\x00\x00")
                with lock:
                    with open(log, "a") as f:
                        f.write("connect\n")
            elif kind == 8:  # SUBSCRIBE: grant QoS 1
                msgid = body[:2]
                conn.sendall(b"\x90\x03" + msgid + b"\x01")
            elif kind == 12:  # PINGREQ
                conn.sendall(b"\xd0\x00")
            elif kind == 14:  # DISCONNECT
                break
            # PUBLISH (3) and anything else: silence.
    except (EOFError, OSError):
        pass
    finally:
        conn.close()


def main():
    port, log = int(sys.argv[1]), sys.argv[2]
    lock = threading.Lock()
    srv = socket.socket()
    srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    srv.bind(("127.0.0.1", port))
    srv.listen(8)
    while True:
        conn, _ = srv.accept()
        threading.Thread(target=serve, args=(conn, log, lock), daemon=True).start()


if __name__ == "__main__":
    main()
