// SPDX-License-Identifier: GPL-2.0 OR Linux-OpenIB
/*
 * uodp-stat: print the ODP counters of uodp devices (the provider's fault
 * engines summed over every context, and the device side), and with --mrs
 * those of every ODP MR its user may see, through the uodpdv API.  Run it
 * under the same uodp-run as the programs it watches.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <infiniband/uodpdv.h>
#include <infiniband/verbs.h>

struct field {
	const char *name;
	size_t off;
};

#define ENGINE(f) { #f, offsetof(struct uodpdv_engine_counters, f) }
static const struct field engine_fields[] = {
	ENGINE(faults_wqe_requester), ENGINE(faults_wqe_responder),
	ENGINE(faults_rdma), ENGINE(faults_serviced), ENGINE(faults_failed),
	ENGINE(pages_mapped), ENGINE(map_calls), ENGINE(prefetch_calls),
	ENGINE(prefetch_bytes), ENGINE(prefetch_errors),
	ENGINE(advise_calls), ENGINE(invalidations), ENGINE(overflows),
	ENGINE(service_ns_total),
};

#define DEVICE(f) { #f, offsetof(struct uodpdv_device_counters, f) }
static const struct field device_fields[] = {
	DEVICE(wqe_faults_requester), DEVICE(wqe_faults_responder),
	DEVICE(rdma_faults), DEVICE(resumes), DEVICE(resumes_error),
	DEVICE(resumes_refused), DEVICE(resumed_on_close),
	DEVICE(map_ranges), DEVICE(pages_mapped), DEVICE(invalidations),
	DEVICE(events_lost), DEVICE(odp_mrs),
};

#define NFIELDS(a) (sizeof(a) / sizeof((a)[0]))

struct options {
	const char *dev;
	bool mrs;
	bool json;
};

static uint64_t get(const void *base, size_t off)
{
	uint64_t v;

	memcpy(&v, (const uint8_t *)base + off, sizeof(v));
	return v;
}

/* An upper bound of the p-th percentile service time from the histogram. */
static uint64_t hist_percentile(const struct uodpdv_engine_counters *c,
				double p)
{
	uint64_t total = 0, seen = 0;
	unsigned int i;

	for (i = 0; i < UODPDV_HIST_BUCKETS; i++)
		total += c->service_hist[i];
	if (!total)
		return 0;
	for (i = 0; i < UODPDV_HIST_BUCKETS; i++) {
		seen += c->service_hist[i];
		if ((double)seen >= p * (double)total)
			break;
	}
	return i < UODPDV_HIST_BUCKETS - 1 ? 1ull << (i + 8) : UINT64_MAX;
}

static void print_fields_text(const char *title, const void *base,
			      const struct field *f, size_t n)
{
	size_t i;

	printf("  %s:\n", title);
	for (i = 0; i < n; i++)
		printf("    %-22s %" PRIu64 "\n", f[i].name,
		       get(base, f[i].off));
}

static void print_fields_json(const char *title, const void *base,
			      const struct field *f, size_t n)
{
	size_t i;

	printf("\"%s\": {", title);
	for (i = 0; i < n; i++)
		printf("%s\"%s\": %" PRIu64, i ? ", " : "", f[i].name,
		       get(base, f[i].off));
	printf("}");
}

static void print_text(const char *name, const struct uodpdv_counters *c)
{
	const struct uodpdv_engine_counters *e = &c->engine;
	uint64_t served = e->faults_serviced + e->faults_failed;
	unsigned int i;

	printf("%s:\n", name);
	print_fields_text("engine (provider, all contexts)", e, engine_fields,
			  NFIELDS(engine_fields));
	printf("    %-22s", "service_hist");
	for (i = 0; i < UODPDV_HIST_BUCKETS; i++)
		printf(" %" PRIu64, e->service_hist[i]);
	printf("\n");
	if (served)
		printf("    service time: mean %.2f us, median < %.2f us, p99 < %.2f us\n",
		       (double)e->service_ns_total / (double)served / 1000.0,
		       (double)hist_percentile(e, 0.5) / 1000.0,
		       (double)hist_percentile(e, 0.99) / 1000.0);
	print_fields_text("device", &c->device, device_fields,
			  NFIELDS(device_fields));
}

static void print_json(const char *name, const struct uodpdv_counters *c)
{
	unsigned int i;

	printf("{\"name\": \"%s\", ", name);
	print_fields_json("engine", &c->engine, engine_fields,
			  NFIELDS(engine_fields));
	printf(", \"service_hist\": [");
	for (i = 0; i < UODPDV_HIST_BUCKETS; i++)
		printf("%s%" PRIu64, i ? ", " : "", c->engine.service_hist[i]);
	printf("], ");
	print_fields_json("device", &c->device, device_fields,
			  NFIELDS(device_fields));
}

static void print_mr_text(const struct uodpdv_mr_counters *m)
{
	char len[24];

	if (m->length == UINT64_MAX)
		snprintf(len, sizeof(len), "implicit");
	else
		snprintf(len, sizeof(len), "%" PRIu64, m->length);
	printf("  %#-10x %-8u %-18s %-10" PRIu64 " %-12" PRIu64 " %-13" PRIu64
	       " %" PRIu64 "\n", m->mr_key, m->owner_pid, len, m->faults,
	       m->pages_mapped, m->invalidations, m->pages_present);
}

/*
 * Say when the device hides other users' MRs, and why: it shows every
 * user's only to CAP_NET_ADMIN (root) and to the user it runs as.
 */
static void print_hidden(const struct uodpdv_mr_visibility *v, bool json)
{
	bool own = v->flags & UODPDV_MR_VISIBILITY_OWN_USER_ONLY;

	if (json) {
		printf(", \"mrs_visible\": \"%s\", \"mrs_hidden\": %u",
		       own ? "own_user" : "all", v->hidden);
		return;
	}
	if (own && v->hidden)
		printf("  (%u ODP MR%s of other users hidden: only root or "
		       "uodpd's user (uid %u) sees them; you are uid %u)\n",
		       v->hidden, v->hidden == 1 ? "" : "s", v->owner_uid,
		       v->uid);
}

static int print_mrs(struct ibv_context *ctx, bool json)
{
	struct uodpdv_mr_counters mrs[16];
	struct uodpdv_mr_visibility vis;
	uint32_t cursor = 0, n, i;
	bool first = true;
	int err;

	/* Asked first: MRs registered during the listing may not add up. */
	err = uodpdv_query_mr_visibility(ctx, &vis);
	if (err)
		return err;
	if (json)
		printf(", \"mrs\": [");
	else
		printf("  %-10s %-8s %-18s %-10s %-12s %-13s %s\n", "mr_key",
		       "pid", "length", "faults", "pages_mapped",
		       "invalidations", "pages_present");
	do {
		err = uodpdv_query_mr_counters(ctx, UODPDV_COUNTERS_DEVICE,
					       &cursor, mrs, 16, &n);
		if (err)
			return err;
		for (i = 0; i < n; i++, first = false) {
			const struct uodpdv_mr_counters *m = &mrs[i];

			if (json)
				printf("%s{\"mr_key\": %u, \"owner_pid\": %u, \"length\": %" PRIu64
				       ", \"implicit\": %s, \"faults\": %" PRIu64
				       ", \"pages_mapped\": %" PRIu64
				       ", \"invalidations\": %" PRIu64
				       ", \"pages_present\": %" PRIu64 "}",
				       first ? "" : ", ", m->mr_key,
				       m->owner_pid, m->length,
				       m->length == UINT64_MAX ? "true" : "false",
				       m->faults, m->pages_mapped,
				       m->invalidations, m->pages_present);
			else
				print_mr_text(m);
		}
	} while (cursor);
	if (json)
		printf("]");
	print_hidden(&vis, json);
	return 0;
}

static int show_device(struct ibv_device *dev, const struct options *o,
		       bool first)
{
	const char *name = ibv_get_device_name(dev);
	struct uodpdv_counters c;
	struct ibv_context *ctx;
	int err;

	ctx = ibv_open_device(dev);
	if (!ctx) {
		fprintf(stderr, "uodp-stat: cannot open %s: %s\n", name,
			strerror(errno));
		return errno ? errno : ENODEV;
	}
	err = uodpdv_query_counters(ctx, UODPDV_COUNTERS_DEVICE, &c);
	if (err) {
		fprintf(stderr, "uodp-stat: %s: cannot read counters: %s\n",
			name, strerror(err));
		goto out;
	}
	if (o->json) {
		printf("%s", first ? "" : ", ");
		print_json(name, &c);
	} else {
		print_text(name, &c);
	}
	if (o->mrs) {
		if (!o->json)
			printf("  ODP MRs:\n");
		err = print_mrs(ctx, o->json);
		if (err)
			fprintf(stderr, "uodp-stat: %s: cannot list MRs: %s\n",
				name, strerror(err));
	}
	if (o->json)
		printf("}");
out:
	ibv_close_device(ctx);
	return err;
}

static void usage(FILE *out)
{
	fprintf(out,
		"Usage: uodp-stat [-d DEV] [-m|--mrs] [-j|--json]\n"
		"Print the ODP counters of uodp devices (fault engine and device\n"
		"side, summed over all contexts) and, with --mrs, per ODP MR.\n");
}

static int parse_args(int argc, char **argv, struct options *o)
{
	static const struct option longopts[] = {
		{ "device", required_argument, NULL, 'd' },
		{ "mrs", no_argument, NULL, 'm' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{}
	};
	int c;

	while ((c = getopt_long(argc, argv, "d:mjh", longopts, NULL)) != -1) {
		switch (c) {
		case 'd':
			o->dev = optarg;
			break;
		case 'm':
			o->mrs = true;
			break;
		case 'j':
			o->json = true;
			break;
		case 'h':
			usage(stdout);
			exit(0);
		default:
			usage(stderr);
			return -1;
		}
	}
	if (optind != argc) {
		usage(stderr);
		return -1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	struct options o = {};
	struct ibv_device **list;
	int i, n, shown = 0, err = 0;

	if (parse_args(argc, argv, &o))
		return 2;
	list = ibv_get_device_list(&n);
	if (!list) {
		fprintf(stderr, "uodp-stat: no RDMA devices: %s\n",
			strerror(errno));
		return 1;
	}
	if (o.json)
		printf("{\"devices\": [");
	for (i = 0; i < n; i++) {
		if (!uodpdv_is_supported(list[i]))
			continue;
		if (o.dev && strcmp(o.dev, ibv_get_device_name(list[i])))
			continue;
		if (show_device(list[i], &o, !shown))
			err = 1;
		shown++;
	}
	if (o.json)
		printf("]}\n");
	ibv_free_device_list(list);
	if (!shown) {
		fprintf(stderr, "uodp-stat: %s%s not found (run under uodp-run)\n",
			o.dev ? "device " : "no uodp device",
			o.dev ? o.dev : "");
		return 1;
	}
	return err;
}
