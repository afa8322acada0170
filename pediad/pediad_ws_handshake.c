/*
 * pediad_ws_handshake.c: the WebSocket handshake of a watch, as
 * kube-apiserver does it (authz-gateway.md §8; golang.org/x/net/websocket
 * and apiserver's websocket protocol authenticator):
 * - `Upgrade: websocket` + `Connection: Upgrade`, `Sec-WebSocket-Version:
 *   13` and a `Sec-WebSocket-Key`, else 400; no `Origin`, 403;
 * - a bearer token may come as the subprotocol
 *   `base64url.bearer.authorization.k8s.io.<base64url(token)>` (padding
 *   optional; the standard alphabet is accepted too, as Headlamp sends
 *   btoa()); it is stripped and exactly one other subprotocol must remain;
 * - more than one other subprotocol is a 400; the one offered is echoed
 *   (`base64.binary.k8s.io` does not base64 a watch: frames are plain
 *   JSON text).
 * The watch itself is an ordinary request to the library; only a streamed
 * 200 is upgraded (pediad_ws.c runs it), anything else is answered as
 * plain HTTP.
 */
#include <gnutls/crypto.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "pediad_http.h"

#define BEARER_PREFIX "base64url.bearer.authorization.k8s.io."
#define WS_GUID "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"

static bool
header_has_token(struct MHD_Connection *c, const char *name, const char *tok)
{
    const char *v = MHD_lookup_connection_value(c, MHD_HEADER_KIND, name);
    size_t n = strlen(tok);

    while (v && *v) {
        v += strspn(v, " \t,");
        if (strncasecmp(v, tok, n) == 0 &&
            (v[n] == '\0' || v[n] == ',' || v[n] == ' ' || v[n] == '\t'))
            return true;
        v += strcspn(v, ",");
    }
    return false;
}

bool
pd_ws_is_upgrade(struct MHD_Connection *c)
{
    return header_has_token(c, "Upgrade", "websocket") &&
           header_has_token(c, "Connection", "upgrade");
}

static int
b64_value(char ch)
{
    if (ch >= 'A' && ch <= 'Z')
        return ch - 'A';
    if (ch >= 'a' && ch <= 'z')
        return ch - 'a' + 26;
    if (ch >= '0' && ch <= '9')
        return ch - '0' + 52;
    if (ch == '-' || ch == '+')
        return 62;
    if (ch == '_' || ch == '/')
        return 63;
    return -1;
}

/* base64url or base64, padding optional; malloc'ed text or NULL. */
static char *
b64_decode(const char *s, size_t n)
{
    char *out = malloc(n + 1);
    size_t o = 0;
    unsigned acc = 0;
    int bits = 0;

    if (!out)
        return NULL;
    while (n && s[n - 1] == '=')
        n--;
    for (size_t i = 0; i < n; i++) {
        int v = b64_value(s[i]);
        if (v < 0) {
            free(out);
            return NULL;
        }
        acc = acc << 6 | (unsigned)v;
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            out[o++] = (char)(unsigned char)((acc >> bits) & 0xffu);
        }
    }
    out[o] = '\0';
    if (o == 0 || memchr(out, '\0', o)) {
        free(out);
        return NULL;
    }
    return out;
}

/* Sec-WebSocket-Accept for key: base64(SHA-1(key + GUID)). */
static bool
accept_value(const char *key, char out[32])
{
    static const char b64[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    unsigned char d[20];
    size_t kl = strlen(key), o = 0;
    char *in = malloc(kl + sizeof WS_GUID);

    if (!in)
        return false;
    memcpy(in, key, kl);
    memcpy(in + kl, WS_GUID, sizeof WS_GUID);
    if (gnutls_hash_fast(GNUTLS_DIG_SHA1, in, kl + sizeof WS_GUID - 1, d) !=
        0) {
        free(in);
        return false;
    }
    free(in);
    for (int i = 0; i < 21; i += 3) {
        unsigned v = (unsigned)d[i] << 16 |
                     (i + 1 < 20 ? (unsigned)d[i + 1] << 8 : 0) |
                     (i + 2 < 20 ? d[i + 2] : 0);
        out[o++] = b64[v >> 18 & 63];
        out[o++] = b64[v >> 12 & 63];
        out[o++] = i + 1 < 20 ? b64[v >> 6 & 63] : (char)'=';
        out[o++] = i + 2 < 20 ? b64[v & 63] : (char)'=';
    }
    out[o] = '\0';
    return true;
}

/* Split the offered subprotocols into the bearer token and the others. */
static int
read_protocols(const char *v, struct pd_ws_hello *hello, const char **why)
{
    int others = 0;

    while (v && *v) {
        size_t n;
        v += strspn(v, " \t,");
        n = strcspn(v, " \t,");
        if (!n)
            break;
        if (n > strlen(BEARER_PREFIX) &&
            strncmp(v, BEARER_PREFIX, strlen(BEARER_PREFIX)) == 0) {
            free(hello->bearer);
            hello->bearer = b64_decode(v + strlen(BEARER_PREFIX),
                                       n - strlen(BEARER_PREFIX));
            if (!hello->bearer) {
                *why = "the bearer token subprotocol is not valid base64url";
                return -1;
            }
        } else if (others++ == 0) {
            hello->protocol = strndup(v, n);
        }
        v += n;
    }
    if (others > 1) {
        *why = "more than one WebSocket subprotocol offered";
        return -1;
    }
    if (hello->bearer && others == 0) {
        *why = "a bearer token subprotocol needs one other subprotocol";
        return -1;
    }
    return 0;
}

int
pd_ws_check(struct MHD_Connection *c, struct pd_ws_hello *hello,
            const char **why)
{
    const char *key =
        MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Sec-WebSocket-Key");
    const char *ver = MHD_lookup_connection_value(c, MHD_HEADER_KIND,
                                                  "Sec-WebSocket-Version");

    memset(hello, 0, sizeof *hello);
    if (!key || !*key || strlen(key) > 64 || !ver || strcmp(ver, "13") != 0) {
        *why = "bad WebSocket handshake: Sec-WebSocket-Key and "
               "Sec-WebSocket-Version: 13 are required";
        return 400;
    }
    if (!MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Origin")) {
        *why = "WebSocket request without an Origin header";
        return 403;
    }
    if (read_protocols(MHD_lookup_connection_value(c, MHD_HEADER_KIND,
                                                   "Sec-WebSocket-Protocol"),
                       hello, why) != 0 ||
        !accept_value(key, hello->accept)) {
        pd_ws_hello_free(hello);
        return 400;
    }
    return 0;
}

void
pd_ws_hello_free(struct pd_ws_hello *hello)
{
    if (hello->bearer) {
        explicit_bzero(hello->bearer, strlen(hello->bearer));
        free(hello->bearer);
    }
    free(hello->protocol);
    memset(hello, 0, sizeof *hello);
}

/* MHD_UpgradeHandler: the 101 went out; the watch moves to pediad_ws.c. */
static void
on_upgrade(void *cls, struct MHD_Connection *conn, void *con_cls,
           const char *extra_in, size_t extra_in_size, MHD_socket sock,
           struct MHD_UpgradeResponseHandle *urh)
{
    struct pd_req *r = con_cls;
    pedia_api_response *resp = r->ws_resp;

    (void)conn;
    r->ws_resp = NULL;
    pd_ws_adopt(cls, resp, sock, urh, extra_in, extra_in_size);
}

enum MHD_Result
pd_ws_queue_101(struct pd_req *r, struct pd_ws *ws,
                const struct pd_ws_hello *hello, pedia_api_response *resp)
{
    struct MHD_Response *mr = MHD_create_response_for_upgrade(on_upgrade, ws);
    enum MHD_Result ret;

    if (!mr) {
        pedia_api_response_free(resp);
        return MHD_NO;
    }
    r->ws_resp = resp; /* freed in on_completed unless the upgrade took it */
    MHD_add_response_header(mr, "Upgrade", "websocket");
    MHD_add_response_header(mr, MHD_HTTP_HEADER_CONNECTION, "Upgrade");
    MHD_add_response_header(mr, "Sec-WebSocket-Accept", hello->accept);
    if (hello->protocol)
        MHD_add_response_header(mr, "Sec-WebSocket-Protocol", hello->protocol);
    ret = MHD_queue_response(r->conn, MHD_HTTP_SWITCHING_PROTOCOLS, mr);
    MHD_destroy_response(mr);
    return ret;
}
