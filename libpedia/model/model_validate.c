/*
 * model_validate.c: Kubernetes label key and value validation
 * (apimachinery util/validation: IsQualifiedName, IsValidLabelValue,
 * IsDNS1123Subdomain), hand-written scanners instead of regexes.
 *
 * The reasons returned are static strings worded like kube's messages.
 */
#include <string.h>

#include "model.h"

#define NAME_MAX_LEN 63
#define PREFIX_MAX_LEN 253

#define QNAME_REGEX "([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]"
#define QNAME_CHARS                                                            \
    "consist of alphanumeric characters, '-', '_' or '.', and must start "     \
    "and end with an alphanumeric character"
#define QNAME_MSG                                                              \
    "must " QNAME_CHARS " (regex used for validation is '" QNAME_REGEX "')"
#define DNS_REGEX                                                              \
    "[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*"

static bool
is_alnum(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
           (c >= '0' && c <= '9');
}

static bool
is_lower_alnum(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

/* ([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9], non-empty. */
static bool
match_qname(const char *s, size_t n)
{
    size_t i;

    if (n == 0 || !is_alnum(s[0]) || !is_alnum(s[n - 1]))
        return false;
    for (i = 1; i + 1 < n; i++) {
        if (!is_alnum(s[i]) && s[i] != '-' && s[i] != '_' && s[i] != '.')
            return false;
    }
    return true;
}

/* DNS-1123 subdomain: dot-separated labels of [a-z0-9-], alnum at ends. */
static bool
match_dns_subdomain(const char *s, size_t n)
{
    size_t i;

    if (n == 0)
        return false;
    for (i = 0; i < n; i++) {
        bool first = i == 0 || s[i - 1] == '.';
        bool last = i + 1 == n || s[i + 1] == '.';

        if (s[i] == '.' && !first && !last)
            continue;
        if ((first || last) && !is_lower_alnum(s[i]))
            return false;
        if (!is_lower_alnum(s[i]) && s[i] != '-')
            return false;
    }
    return true;
}

static const char *
check_name_part(const char *s, size_t n)
{
    if (n == 0)
        return "name part must be non-empty";
    if (n > NAME_MAX_LEN)
        return "name part must be no more than 63 characters";
    if (!match_qname(s, n))
        return "name part " QNAME_MSG;
    return NULL;
}

const char *
pdi_model_check_qualified_name(const char *s, size_t n)
{
    const char *slash = memchr(s, '/', n);
    size_t plen;

    if (!slash)
        return check_name_part(s, n);
    plen = (size_t)(slash - s);
    if (memchr(slash + 1, '/', n - plen - 1))
        return "a qualified name " QNAME_MSG
               " with an optional DNS subdomain prefix and '/'";
    if (plen == 0)
        return "prefix part must be non-empty";
    if (plen > PREFIX_MAX_LEN)
        return "prefix part must be no more than 253 characters";
    if (!match_dns_subdomain(s, plen))
        return "prefix part a lowercase RFC 1123 subdomain must consist of "
               "lower case alphanumeric characters, '-' or '.', and must "
               "start and end with an alphanumeric character (regex used "
               "for validation is '" DNS_REGEX "')";
    return check_name_part(slash + 1, n - plen - 1);
}

const char *
pdi_model_check_label_value(const char *s, size_t n)
{
    if (n == 0)
        return NULL;
    if (n > NAME_MAX_LEN)
        return "must be no more than 63 characters";
    if (!match_qname(s, n))
        return "a valid label must be an empty string or " QNAME_CHARS
               " (regex used for validation is '(" QNAME_REGEX ")?')";
    return NULL;
}
