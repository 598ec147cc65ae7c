/*
 * fuzz_command.c: libFuzzer target for command_parse (RFC 3977 §3.1) on
 * arbitrary lines, copied into a len+1 buffer as the API requires.
 *
 * Invariants: on success the verb is a non-empty upper-cased word of at most
 * 31 bytes with no blank, argc is 0..COMMAND_MAX_ARGS, every argv points
 * inside the buffer at a non-empty NUL-terminated word without blanks (but
 * the password of AUTHINFO PASS, the rest of the line), in order, and rest lies inside the buffer; on error the line is untouched and
 * the code is one of the documented ones; the reply text table answers every
 * code.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "../../proto/moot.h"
#include "../../proto/command.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define REQUIRE(c) do { if (!(c)) abort(); } while (0)

/* Parse one line and check the result. */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct command cmd;
	char *line, *orig;
	size_t vlen, i;
	int rc, a;

	if (size > 4096)
		return 0;
	line = malloc(size + 1);
	orig = malloc(size + 1);
	REQUIRE(line && orig);
	memcpy(line, data, size);
	memcpy(orig, data, size);
	rc = command_parse(line, size, &cmd);
	if (rc != 0) {
		REQUIRE(rc == MOOT_EPROTO || rc == MOOT_ETOOBIG);
		REQUIRE(memcmp(line, orig, size) == 0);
		if (size > MOOT_MAX_COMMAND - 2)
			REQUIRE(rc == MOOT_ETOOBIG);
		goto out;
	}
	REQUIRE(size <= MOOT_MAX_COMMAND - 2);
	REQUIRE(line[size] == '\0');
	vlen = strnlen(cmd.verb, sizeof(cmd.verb));
	REQUIRE(vlen > 0 && vlen < sizeof(cmd.verb));
	for (i = 0; i < vlen; i++) {
		unsigned char c = (unsigned char)cmd.verb[i];
		REQUIRE(c != ' ' && c != '\t' && c >= 0x20 && c != 0x7f);
		REQUIRE(!(c >= 'a' && c <= 'z'));
	}
	REQUIRE(cmd.argc >= 0 && cmd.argc <= COMMAND_MAX_ARGS);
	REQUIRE(cmd.rest >= line && cmd.rest <= line + size);
	for (a = 0; a < cmd.argc; a++) {
		char *p = cmd.argv[a];
		size_t n;
		REQUIRE(p >= line && p < line + size);
		if (a > 0)
			REQUIRE(p > cmd.argv[a - 1]);
		n = strlen(p);
		REQUIRE(n > 0 && p + n <= line + size);
		/* Words hold no blank, except the password of AUTHINFO PASS,
		 * the rest of the line (RFC 4643 §3.1), which ends with it. */
		if (a == 1 && strcmp(cmd.verb, "AUTHINFO") == 0 && strcasecmp(cmd.argv[0], "PASS") == 0)
			REQUIRE(p + n == line + size && p[0] != ' ' && p[0] != '\t');
		else
			REQUIRE(strchr(p, ' ') == NULL && strchr(p, '\t') == NULL);
		/* The argument is the original bytes at that place. */
		REQUIRE(memcmp(p, orig + (p - line), n) == 0);
	}
	if (cmd.argc > 0)
		REQUIRE(cmd.rest == cmd.argv[0]);
	/* No control characters made it through (RFC 3977 §3.1). */
	for (i = 0; i < size; i++) {
		unsigned char c = (unsigned char)orig[i];
		REQUIRE(!((c < 0x20 && c != '\t') || c == 0x7f));
	}
out:
	if (size >= 2) {
		int code = (data[0] << 8 | data[1]) % 1000;
		const char *t = command_reply_text(code);
		if (t)
			(void)strlen(t);
	}
	free(line);
	free(orig);
	return 0;
}
