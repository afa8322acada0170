/*
 * api_print_net.c: the Service and Ingress printers.
 *
 * Load-balancer addresses are the sorted, de-duplicated ingress IPs (or
 * hostnames when an entry has no IP). kube's printer cuts them to 16
 * characters only for narrow output, and the apiserver always prints wide,
 * so Table cells carry the whole list; kubectl does no cutting either.
 * Service defaults (type ClusterIP, protocol TCP) are applied as kube's
 * decoder would.
 */
#include <string.h>

#include "apiserver/tables/api_tables_int.h"

static const struct pdi_table_col service_cols[] = {
    PDI_TCOL_NAME,
    {"Type", "string", "", 0, "How the service is exposed, e.g. ClusterIP."},
    {"Cluster-IP", "string", "", 0,
     "Virtual IP of the service inside the cluster."},
    {"External-IP", "string", "", 0,
     "Addresses the service is reachable at from outside."},
    {"Port(s)", "string", "", 0, "Ports the service exposes, with protocols."},
    PDI_TCOL_AGE,
    {"Selector", "string", "", 1,
     "Labels choosing the pods behind the service."},
};

static const struct pdi_table_col ingress_cols[] = {
    PDI_TCOL_NAME,
    {"Class", "string", "", 0, "Ingress class handling the ingress."},
    {"Hosts", "string", "", 0, "Host names the ingress rules match."},
    {"Address", "string", "", 0, "Load-balancer addresses of the ingress."},
    {"Ports", "string", "", 0, "Ports the ingress listens on."},
    PDI_TCOL_AGE,
};

/* Append the load-balancer ingress addresses of status (sorted set). */
static pedia_err
put_lb_addresses(struct pdi_buf *b, struct json_object *ingress)
{
    size_t n = ingress ? json_object_array_length(ingress) : 0, k = 0;
    const char **v;
    pedia_err err;

    if (n == 0)
        return PEDIA_OK;
    v = pdi_calloc(b->a, n, sizeof(*v));
    if (!v)
        return pdi_error_oom();
    for (size_t i = 0; i < n; i++) {
        struct json_object *e = json_object_array_get_idx(ingress, i);
        const char *ip = pdi_tj_str0(e, "ip");
        const char *host = pdi_tj_str0(e, "hostname");

        if (*ip || *host)
            v[k++] = *ip ? ip : host;
    }
    err = pdi_tfmt_sorted_set(b, v, k, ",");
    pdi_free(b->a, v);
    return err;
}

static pedia_err
put_joined(struct pdi_buf *b, struct json_object *strs, const char *first_sep)
{
    size_t n = strs ? json_object_array_length(strs) : 0;
    pedia_err err = PEDIA_OK;

    for (size_t i = 0; i < n && !err; i++) {
        struct json_object *s = json_object_array_get_idx(strs, i);

        err = pdi_buf_printf(b, "%s%s", i ? "," : first_sep,
                             json_object_is_type(s, json_type_string)
                                 ? json_object_get_string(s)
                                 : "");
    }
    return err;
}

/* LoadBalancer: LB addresses then spec.externalIPs, or "<pending>". */
static pedia_err
put_lb_external(struct pdi_buf *b, struct json_object *svc)
{
    struct json_object *ext = pdi_tj_array(svc, "spec.externalIPs");
    pedia_err err = put_lb_addresses(b, pdi_tj_array(svc, "status."
                                                          "loadBalancer."
                                                          "ingress"));

    if (!err && ext && json_object_array_length(ext) > 0)
        err = put_joined(b, ext, b->len ? "," : "");
    if (!err && b->len == 0)
        err = pdi_buf_puts(b, "<pending>");
    return err;
}

static pedia_err
put_external_ip(struct pdi_buf *b, struct json_object *svc, const char *type)
{
    struct json_object *ext = pdi_tj_array(svc, "spec.externalIPs");

    if (strcmp(type, "ClusterIP") == 0 || strcmp(type, "NodePort") == 0) {
        if (ext && json_object_array_length(ext) > 0)
            return put_joined(b, ext, "");
        return pdi_buf_puts(b, "<none>");
    }
    if (strcmp(type, "LoadBalancer") == 0)
        return put_lb_external(b, svc);
    if (strcmp(type, "ExternalName") == 0)
        return pdi_buf_puts(b, pdi_tj_str0(svc, "spec.externalName"));
    return pdi_buf_puts(b, "<unknown>");
}

/* "port/PROTO" or "port:nodePort/PROTO", comma-joined; "<none>". */
static pedia_err
put_ports(struct pdi_buf *b, struct json_object *ports)
{
    size_t n = ports ? json_object_array_length(ports) : 0;
    pedia_err err = PEDIA_OK;

    for (size_t i = 0; i < n && !err; i++) {
        struct json_object *p = json_object_array_get_idx(ports, i);
        const char *proto = pdi_tj_str(p, "protocol");
        long long port = (long long)pdi_tj_int(p, "port", 0);
        long long node = (long long)pdi_tj_int(p, "nodePort", 0);

        if (i > 0)
            err = pdi_buf_putc(b, ',');
        if (!err && node > 0)
            err = pdi_buf_printf(b, "%lld:%lld", port, node);
        else if (!err)
            err = pdi_buf_printf(b, "%lld", port);
        if (!err)
            err = pdi_buf_printf(b, "/%s", proto && *proto ? proto : "TCP");
    }
    if (!err && n == 0)
        err = pdi_buf_puts(b, "<none>");
    return err;
}

static void
service_cells(struct pdi_table_row *row, struct json_object *o)
{
    const char *type = pdi_tj_str(o, "spec.type");
    struct json_object *ips = pdi_tj_array(o, "spec.clusterIPs");
    const char *cip = NULL;
    struct pdi_buf b;

    if (!type || !*type)
        type = "ClusterIP";
    if (ips && json_object_array_length(ips) > 0)
        cip = json_object_get_string(json_object_array_get_idx(ips, 0));
    pdi_row_str(row, pdi_tj_str(o, "metadata.name"));
    pdi_row_str(row, type);
    pdi_row_str(row, cip ? cip : "<none>");
    pdi_row_scratch(row, &b);
    pdi_row_fail(row, put_external_ip(&b, o, type));
    pdi_row_buf(row, &b);
    pdi_buf_free(&b);
    pdi_row_put(row, put_ports, pdi_tj_array(o, "spec.ports"));
    pdi_row_age(row, o, "metadata.creationTimestamp");
    pdi_row_labels(row, pdi_tj(o, "spec.selector"));
}

/* formatHosts: the first three rule hosts, then " + N more..." when any
 * rule follows the third host (N = rules - 3, hostless rules included);
 * "*" when no rule has a host. */
static pedia_err
put_hosts(struct pdi_buf *b, struct json_object *rules)
{
    size_t n = rules ? json_object_array_length(rules) : 0, listed = 0, i;
    pedia_err err = PEDIA_OK;

    for (i = 0; i < n && listed < 3 && !err; i++) {
        const char *host =
            pdi_tj_str0(json_object_array_get_idx(rules, i), "host");

        if (*host) {
            err = pdi_buf_printf(b, "%s%s", listed ? "," : "", host);
            listed++;
        }
    }
    if (!err && listed == 0)
        return pdi_buf_puts(b, "*");
    if (!err && listed == 3 && i < n)
        err = pdi_buf_printf(b, " + %zu more...", n - 3);
    return err;
}

static void
ingress_cells(struct pdi_table_row *row, struct json_object *o)
{
    const char *cls = pdi_tj_str(o, "spec.ingressClassName");

    pdi_row_str(row, pdi_tj_str(o, "metadata.name"));
    pdi_row_str(row, cls ? cls : "<none>");
    pdi_row_put(row, put_hosts, pdi_tj_array(o, "spec.rules"));
    pdi_row_put(row, put_lb_addresses,
                pdi_tj_array(o, "status.loadBalancer.ingress"));
    pdi_row_str(row, pdi_tj_count(o, "spec.tls") ? "80, 443" : "80");
    pdi_row_age(row, o, "metadata.creationTimestamp");
}

const struct pdi_table_printer pdi_print_service = {
    "", "services", service_cols, PDI_TABLE_NCOLS(service_cols), service_cells};
const struct pdi_table_printer pdi_print_ingress = {
    "networking.k8s.io", "ingresses", ingress_cols,
    PDI_TABLE_NCOLS(ingress_cols), ingress_cells};
