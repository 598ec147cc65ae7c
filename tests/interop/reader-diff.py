#!/usr/bin/env python3
"""reader-diff.py: the same reader commands to INN and to mootd, status codes side by side.

    tests/interop/reader-diff.py --moot 127.0.0.1:1563 --group moot.test \
        [--inn 127.0.0.1:2563] [--plain]

Both servers are spoken to over implicit TLS (RFC 8143) unless --plain.  The
group must exist on both and hold at least two articles (numbers 1 and 2).
Each command is sent on one session per server, in the same order, and the
status codes of the replies are compared (both of them for a POST).  A difference listed in
EXPECTED (with the reason mootd answers as it does) passes; any other fails.
Prints every command with both replies, then "N passed, N failed"; exits 1
when something failed.  Not part of `make check`: it needs a running INN
(../shared/bench/inn-setup.sh starts one on loopback, see README.md).
"""
import argparse
import socket
import ssl
import sys
import time

# Multi-line replies (RFC 3977 §3.1.1); 211 is multi-line only after LISTGROUP.
MULTI = {"100", "101", "215", "220", "221", "222", "224", "225", "230", "231", "282"}

# Where mootd deliberately answers differently from INN 2.7, and why.
EXPECTED = {
    "CAPABILITIES x": "RFC 3977 §5.2.2: an unknown keyword gets 101 as if omitted (INN: 501)",
    "LIST DISTRIB.PATS": "mootd keeps no distribution patterns: 503, not available (RFC 3977 §7.6.1,"
                         " §7.6.5; INN has a file)",
    "NEWNEWS * 20200101 000000": "mootd serves NEWNEWS (INN's default readers.conf disables it: 480)",
    "NEWNEWS %(group)s 20300101 000000 GMT": "as above",
    "OVER %(msgid)s": "mootd offers OVER MSGID (RFC 3977 §8.3): 430 for an unknown id (INN: 503)",
    "CHECK %(msgid)s": "CHECK is known to mootd, refused to a reader without a peer identity: 480"
                       " (INN's nnrpd: 500)",
    "MODE STREAM": "transit is not offered to a reader session: 502 (RFC 4644 §2.3; INN's nnrpd: 501)",
    "x" * 600: "RFC 3977 §3.2.1: a command line too long gets 501 (INN: 500)",
}


def commands(group, msgid):
    return [
        "CAPABILITIES", "MODE READER", "DATE", "DATE x", "HELP", "FOO", "foo bar",
        "LIST", "LIST ACTIVE", "LIST ACTIVE " + group, "LIST ACTIVE a b", "LIST NEWSGROUPS",
        "LIST NEWSGROUPS " + group, "LIST OVERVIEW.FMT", "LIST HEADERS", "LIST HEADERS MSGID",
        "LIST HEADERS RANGE", "LIST HEADERS X", "LIST ACTIVE.TIMES", "LIST DISTRIB.PATS",
        "LIST SUBSCRIPTIONS", "LIST NONSENSE", "LIST EXTENSIONS",
        "ARTICLE", "HEAD", "BODY", "STAT", "NEXT", "LAST", "OVER", "XOVER", "HDR Subject",
        "XHDR Subject", "GROUP", "GROUP no.such.group", "GROUP a b", "LISTGROUP no.such.group",
        "GROUP " + group, "STAT", "LAST", "NEXT", "LAST", "STAT 0", "STAT -1", "STAT 99999999",
        "STAT 1 2", "STAT abc", "HEAD 999999999999999999999", "STAT <nonexistent@nowhere.example>",
        "STAT <bad", "STAT nobrackets@x", "LISTGROUP", "LISTGROUP %s 1-2" % group,
        "LISTGROUP %s 5-3" % group, "LISTGROUP %s x" % group, "OVER 1-2", "OVER 5-3",
        "OVER 999999-", "OVER x", "OVER 1-2 3", "XOVER 1-2", "HDR Subject 1-2", "HDR :bytes 1-2",
        "HDR :lines 1", "HDR Nonexistent-Header 1-2", "HDR", "HDR Subject x", "XHDR Subject 1-2",
        "XHDR", "OVER " + msgid, "HDR Subject " + msgid, "NEWGROUPS 20200101 000000",
        "NEWGROUPS 200101 000000 GMT", "NEWGROUPS 20200101 000000 UTC", "NEWGROUPS 2020",
        "NEWGROUPS 20201301 000000", "NEWNEWS * 20200101 000000",
        "NEWNEWS %s 20300101 000000 GMT" % group, "NEWNEWS", "IHAVE " + msgid, "CHECK " + msgid,
        "MODE STREAM", "MODE FOO", "MODE", "AUTHINFO USER", "AUTHINFO PASS x", "AUTHINFO FOO",
        "XPAT Subject 1-2 *", "SLAVE", "XGTITLE", "CAPABILITIES x", "ARTICLE " + group,
        "POST", "POST", "STAT " + msgid, "article 1", "Head 1", "x" * 600, "QUIT",
    ]


class Session:
    def __init__(self, host, port, tls):
        sock = socket.create_connection((host, port), timeout=15)
        if tls:
            ctx = ssl.create_default_context()
            ctx.check_hostname = False
            ctx.verify_mode = ssl.CERT_NONE
            sock = ctx.wrap_socket(sock)
        self.sock = sock
        self.f = sock.makefile("rb")
        self.greeting = self.line()

    def line(self):
        return self.f.readline().decode("utf-8", "replace").rstrip("\r\n")

    def send(self, data):
        self.sock.sendall(data)

    def command(self, cmd, article=None):
        """One command; its reply's first line and the count of lines that followed."""
        self.send(cmd.encode() + b"\r\n")
        first = self.line()
        code, verb = first[:3], cmd.split()[0].upper()
        n = 0
        if code in MULTI or (code == "211" and verb == "LISTGROUP"):
            while self.line() != ".":
                n += 1
        if code == "340" and article is not None:
            self.send(article)
            first += " || " + self.line()
        return first, n


def run(addr, tls, cmds, articles):
    host, port = addr.rsplit(":", 1)
    s = Session(host, int(port), tls)
    out = [("(greeting)", s.greeting)]
    posts = 0
    for c in cmds:
        art = None
        if c == "POST":
            art = articles[min(posts, len(articles) - 1)]
            posts += 1
        try:
            reply, _ = s.command(c, art)
        except OSError as e:
            reply = "no reply (%s)" % e
        out.append((c, reply))
        if c == "POST" and posts == 1:
            time.sleep(1)	# INN numbers a posted article a moment later
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--inn", default="127.0.0.1:2563")
    ap.add_argument("--moot", required=True)
    ap.add_argument("--group", required=True)
    ap.add_argument("--plain", action="store_true", help="no TLS (both servers)")
    a = ap.parse_args()
    msgid = "<reader-diff.%d.%d@test.example>" % (int(time.time()), time.monotonic_ns() % 100000)
    good = ("From: Diff Tester <diff@test.example>\r\nNewsgroups: %s\r\nSubject: reader-diff\r\n"
            "Message-ID: %s\r\n\r\nhello\r\n.\r\n" % (a.group, msgid)).encode()
    bad = ("From: diff@test.example\r\nNewsgroups: %s\r\n\r\nno subject\r\n.\r\n" % a.group).encode()
    cmds = commands(a.group, msgid)
    expected = {k % {"group": a.group, "msgid": msgid}: v for k, v in EXPECTED.items()}
    inn = run(a.inn, not a.plain, cmds, [good, bad])
    # The same Message-ID on mootd: each server sees the article once.
    moot = run(a.moot, not a.plain, cmds, [good, bad])
    passed = failed = 0

    def codes(reply):	# "340 ... || 240 ...": both codes count
        return "/".join(part.strip()[:3] for part in reply.split(" || "))

    for (cmd, ri), (_, rm) in zip(inn, moot):
        label = cmd if len(cmd) <= 40 else cmd[:30] + "... (%d)" % len(cmd)
        if codes(ri) == codes(rm):
            mark = "  "
            passed += 1
        elif cmd in expected:
            mark = "ok"
            passed += 1
        else:
            mark = "!!"
            failed += 1
        if " || " in ri + rm:
            ri, rm = codes(ri), codes(rm)
        print("%s %-40s INN %-40.40s moot %-40.40s" % (mark, label, ri, rm))
        if mark == "ok":
            print("   expected: " + expected[cmd])
    print("%d passed, %d failed" % (passed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
