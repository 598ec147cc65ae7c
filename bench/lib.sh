# lib.sh: pieces the bench scripts share; sourced, after each defines die().

# bench_cert DIR: make moot-bench's client certificate (DIR/bench-cert.pem,
# DIR/bench-key.pem) and print its SHA-256 fingerprint as mootd's peers want it.
bench_cert() {
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj /CN=bench.example \
		-days 2 -keyout "$1/bench-key.pem" -out "$1/bench-cert.pem" 2>/dev/null ||
		die "openssl cannot make the client certificate"
	openssl x509 -noout -fingerprint -sha256 -in "$1/bench-cert.pem" | sed 's/^.*=/sha256:/'
}

# bench_config FILE STATE PORT TLS_PORT GROUP1 GROUP2 FINGERPRINT: a mootd
# configuration for loads: loopback listeners, no connection or posting
# limits, two groups, and the peer bench.example identified by FINGERPRINT.
bench_config() {
	cat >"$1" <<EOF2
server:
  pathhost: moot.bench.example
  state: $2
  listen:
    - { address: "127.0.0.1:$3", tls: false }
    - { address: "127.0.0.1:$4", tls: true }
  limits: { max_connections: 100000, max_connections_per_address: 100000, max_article_bytes: 1000000,
            idle_timeout_s: 3600, posts_per_hour_user: 0, posts_per_hour_address: 0 }
  access: { read: open, post: open }
groups:
  - { name: $5, description: "Benchmark test articles" }
  - { name: $6, description: "Benchmark other articles" }
peers:
  - name: bench.example
    accept: "bench.*"
    identity: { fingerprint: "$7" }
EOF2
}
