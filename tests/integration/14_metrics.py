"""Prometheus metrics on the loopback HTTP port (server.metrics)."""

import http.client

import harness
from harness import check, eq

_PORT = harness.free_port()


def _get(port, path):
	c = http.client.HTTPConnection("127.0.0.1", port, timeout=harness.T(5))
	try:
		c.request("GET", path)
		r = c.getresponse()
		return r.status, r.getheader("Content-Type"), r.read().decode()
	finally:
		c.close()


def _value(text, name):
	for line in text.splitlines():
		if line.startswith(name + " "):
			return float(line.split()[1])
	raise harness.TestFailure("no %s in metrics:\n%s" % (name, text))


@harness.config(extra_server='  metrics: { address: "127.0.0.1:%d" }' % _PORT)
def test_metrics_endpoint(srv):
	status, ctype, text = _get(_PORT, "/metrics")
	eq(status, 200, "GET /metrics")
	check(ctype.startswith("text/plain"), "content type %r" % ctype)
	eq(_value(text, "moot_articles_received_total"), 0, "articles before posting")
	with srv.raw() as c:
		c.post(harness.article(subject="counted"))
		status, _, text = _get(_PORT, "/metrics")
		eq(_value(text, "moot_articles_received_total"), 1, "articles after one post")
		eq(_value(text, 'moot_group_articles{group="moot.general"}'), 1, "group gauge")
		check(_value(text, "moot_connections") >= 1, "the open connection is counted")
		check("# TYPE moot_login_failures_total counter" in text, "TYPE lines present")
	status, _, _ = _get(_PORT, "/other")
	eq(status, 404, "other paths")
