"""xmpp.py: a raw XMPP client for scenarios that need exact bytes.

Part of portcullis's integration rig (run with /usr/bin/python3).  Where
chat.py drives a well-behaved client, this module sends precisely the
bytes a scenario wants (plaintext attempts, injected bytes after
<starttls/>, XML bombs) and reads exactly what comes back, so a test can
compare bytes.  Everything blocks with a deadline; nothing is retried.
"""

import base64
import re
import socket
import ssl
import time

NS_STREAMS = "http://etherx.jabber.org/streams"


class Closed(Exception):
    """The server closed the connection before the expected bytes."""


class Raw:
    def __init__(self, host, port, timeout=10.0):
        self.sock = socket.create_connection((host, port), timeout=timeout)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.timeout = timeout
        self.buf = b""
        self.received = b""      # everything read, for assertions
        self.tls = None

    def header(self, to, version="1.0", ns="jabber:client", decl=True,
               extra=""):
        v = " version='%s'" % version if version is not None else ""
        t = " to='%s'" % to if to is not None else ""
        d = "<?xml version='1.0'?>" if decl else ""
        return ("%s<stream:stream xmlns='%s' xmlns:stream='%s'%s%s%s>"
                % (d, ns, NS_STREAMS, t, v, extra)).encode()

    def send(self, data):
        if isinstance(data, str):
            data = data.encode()
        self.sock.sendall(data)

    def _read(self, deadline):
        left = deadline - time.monotonic()
        if left <= 0:
            raise TimeoutError("timed out; have %r" % self.buf[-400:])
        self.sock.settimeout(left)
        try:
            chunk = self.sock.recv(65536)
        except ssl.SSLError as e:
            raise Closed("TLS error: %s" % e)
        if not chunk:
            raise Closed("connection closed; have %r" % self.buf[-400:])
        self.buf += chunk
        self.received += chunk

    def expect(self, pattern, timeout=None):
        """Read until regex pattern (bytes) matches; consume through it."""
        if isinstance(pattern, str):
            pattern = pattern.encode()
        rx = re.compile(pattern, re.S)
        deadline = time.monotonic() + (timeout or self.timeout)
        while True:
            m = rx.search(self.buf)
            if m:
                self.buf = self.buf[m.end():]
                return m
            self._read(deadline)

    def read_until_closed(self, timeout=None):
        """Read until the server closes; returns everything read."""
        deadline = time.monotonic() + (timeout or self.timeout)
        try:
            while True:
                self._read(deadline)
        except Closed:
            pass
        return self.buf

    def starttls(self, cafile, domain, sni=True):
        """Wrap the socket after <proceed/>; verify the chain for domain."""
        ctx = ssl.create_default_context(cafile=cafile)
        ctx.check_hostname = True
        self.sock.settimeout(self.timeout)
        self.tls = ctx.wrap_socket(self.sock,
                                   server_hostname=domain if sni else None)
        self.sock = self.tls
        self.buf = b""

    def login(self, domain, user, password, resource="raw"):
        """Post-TLS: header, SASL PLAIN, restart, bind.  Returns full JID."""
        self.send(self.header(domain))
        self.expect(rb"<stream:features.*?</stream:features>")
        cred = base64.b64encode(b"\0" + user.encode() + b"\0" +
                                password.encode()).decode()
        self.send("<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' "
                  "mechanism='PLAIN'>%s</auth>" % cred)
        self.expect(rb"<success[^>]*(/>|>.*?</success>)")
        self.send(self.header(domain))
        self.expect(rb"<stream:features.*?</stream:features>")
        self.send("<iq type='set' id='bind1'><bind xmlns='urn:ietf:params:"
                  "xml:ns:xmpp-bind'><resource>%s</resource></bind></iq>"
                  % resource)
        m = self.expect(rb"<jid>([^<]+)</jid>")
        jid = m.group(1).decode()
        self.expect(rb"</iq>")
        self.send("<iq type='set' id='sess1'><session xmlns='urn:ietf:"
                  "params:xml:ns:xmpp-session'/></iq>")
        self.expect(rb"<iq[^>]*id=['\"]sess1['\"]")
        self.send("<presence/>")
        return jid

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass


def secure(port, cafile, domain, host="127.0.0.1", timeout=10.0):
    """A client through STARTTLS: header, <starttls/>, <proceed/>, TLS."""
    c = Raw(host, port, timeout)
    c.send(c.header(domain))
    c.expect(rb"</stream:features>")
    c.send("<starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>")
    c.expect(rb"<proceed xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>")
    c.starttls(cafile, domain)
    return c


STREAM_ERROR = (rb"<stream:error><%s "
                rb"xmlns='urn:ietf:params:xml:ns:xmpp-streams'/>")
