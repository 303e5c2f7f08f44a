/*
 * session.h: a proxied connection: two legs, one timer, one life.
 *
 * `remote` is the TLS-enforced XMPP peer, `legacy` is the backend.  Every
 * handle is embedded and has data == the session; memory is freed only
 * after the last close callback and the last reference (refs).  A session
 * lives and dies on one worker's loop.
 *
 * Callbacks never free: session_close() and session_abort() mark the
 * session and schedule the closes; after any call that may close, the
 * caller checks s->closing and returns.
 */
#ifndef PROXY_SESSION_H
#define PROXY_SESSION_H

#include <stdint.h>

#include <gnutls/gnutls.h>
#include <uv.h>

#include "buf.h"
#include "outq.h"
#include "policy/policy.h"
#include "xmlstream/xmlstream.h"

struct conf;
struct listener;
struct s2s_in;
struct s2s_out;
struct dialback;
struct peer_cert;
struct worker;
struct session;

#define container_of(p, type, member) \
	((type *)(void *)((char *)(p) - offsetof(type, member)))

enum leg_state {
	LEG_NONE,		/* no socket yet */
	LEG_CONNECTING,		/* backend connect in flight */
	LEG_PLAIN,		/* plaintext XML */
	LEG_STARTTLS,		/* after <starttls/>: ciphertext only */
	LEG_HANDSHAKE,		/* TLS handshake running */
	LEG_TLS,		/* TLS up */
	LEG_SHUTDOWN,		/* our close sent, draining the peer's */
	LEG_CLOSED		/* uv_close() called */
};

/* Where an inbound session is in its negotiation. */
enum phase {
	PH_HEADER,		/* waiting for the peer's first header */
	PH_PRETLS,		/* our features sent, waiting for <starttls/> */
	PH_HANDSHAKE,		/* <proceed/> sent or direct TLS */
	PH_TLS_HEADER,		/* TLS up, waiting for the peer's header */
	PH_RELAY		/* backend leg open, relaying */
};

/* How the peer's certificate was verified (STANDARDS.md OBS-1). */
enum peer_verify {
	VERIFY_NONE,		/* no certificate, or not checked */
	VERIFY_PKIX,
	VERIFY_DANE_EE,
	VERIFY_DANE_TA,
	VERIFY_PIN,
	VERIFY_POSH,
	VERIFY_DANE_PKIX_EE,	/* TLSA usage 1: PKIX and the leaf */
	VERIFY_DANE_PKIX_TA	/* TLSA usage 0: PKIX and a named CA */
};

/* What the gateway saw of the peer authenticating (observe.c). */
enum auth_state {
	AUTH_NONE,		/* no attempt seen */
	AUTH_PENDING,		/* an attempt, no answer yet */
	AUTH_OK,		/* the backend (or we) accepted it */
	AUTH_FAILED		/* the last attempt was refused */
};

union leg_handle {
	uv_handle_t		 h;
	uv_stream_t		 s;
	uv_tcp_t		 tcp;
	uv_pipe_t		 pipe;
};

struct leg_ops;

struct leg {
	struct session		*s;
	struct leg		*peer;		/* the other leg of s */
	const char		*name;		/* "remote" or "legacy" */
	const struct leg_ops	*ops;		/* what its input means */
	union leg_handle	 u;		/* u.h.data == s */
	int			 inited;	/* uv_*_init done */
	gnutls_session_t	 tls;		/* NULL on a plaintext leg */
	struct xs		*xs;		/* parses what this leg receives */
	struct buf		 cipher_in;	/* ciphertext not yet pulled */
	struct buf		 in;		/* plaintext not yet relayed */
	uint64_t		 in_off;	/* xs offset of in's head */
	uint64_t		 fwd_end;	/* xs offset up to which in may
						   be forwarded to the peer */
	uint64_t		 flush_to;	/* batch: fwd_end after the last
						   record that parsed cleanly */
	struct outq		 out;		/* bytes queued to this socket */
	uv_write_t		 wreq;		/* the one write in flight */
	uv_shutdown_t		 sreq;
	uv_connect_t		 creq;
	uint64_t		 cut;		/* xs offset where <starttls/>
						   ended */
	char			 sent_id[33];	/* id of our last header here */
	char			 prefix[32];	/* prefix of the streams
						   namespace on the stream this
						   leg sends, "" for default */
	enum leg_state		 state;
	uint64_t		 bytes_in;	/* plaintext received */
	uint64_t		 bytes_out;	/* plaintext sent */
	unsigned		 paused:1;	/* reading stopped: peer full */
	unsigned		 reading:1;	/* uv_read_start() in force */
	unsigned		 writing:1;	/* wreq in flight */
	unsigned		 hdr_sent:1;	/* a stream header was sent on
						   this leg's current stream */
	unsigned		 close_sent:1;	/* </stream> sent on this leg */
	unsigned		 eof:1;		/* the peer closed its side */
	unsigned		 bye_sent:1;	/* TLS close_notify queued */
	unsigned		 tls_done:1;	/* the handshake completed */
	unsigned		 batch:1;	/* relaying a read's records at
						   its end (tls.c) */
};

struct session {
	uint64_t		 id;		/* logged as 16 hex digits */
	const char		*role;		/* "c2s", "s2s", ... */
	struct worker		*w;
	struct conf		*conf;		/* reference held */
	const struct listener	*li;
	struct leg		 remote, legacy;
	/*
	 * The leg of the initiating entity, to which we answer as the
	 * receiving entity (inbound: remote; outbound s2s: legacy), and
	 * the leg towards the receiving entity.
	 */
	struct leg		*init, *resp;
	struct s2s_out		*ob;		/* outbound s2s state, or NULL */
	struct s2s_in		*ib;		/* inbound s2s peer check under
						   way (DNS, POSH), or NULL */
	struct dialback		*db;		/* pending dialback, or NULL */
	uv_timer_t		 timer;		/* one timer for every deadline */
	unsigned		 open_handles;	/* close_cb pending */
	unsigned		 refs;		/* in-flight requests */
	char			 reason[48];	/* first close reason wins */
	enum phase		 phase;
	enum pol_dir		 dir;
	const struct pol_domain	*domain;	/* served domain, once known */
	char			 sni[256];	/* "" when none */
	char			 to[256];	/* post-TLS header to */
	char			 peer_domain[256]; /* s2s: the remote domain */
	char			 peer[80];	/* "192.0.2.1:5222" */
	char			 from[256];	/* post-TLS header from, or "" */
	/*
	 * For the summaries and the control socket (summary.h): the
	 * peer's certificate as verified (s2s fills it, certinfo.h; freed
	 * with the session) and how the peer authenticated.
	 */
	struct peer_cert	*cert;
	enum peer_verify	 verify;
	enum auth_state		 auth_state;
	char			 auth[24];	/* SASL mechanism, "iq-auth-
						   digest", "dialback", ... */
	uint64_t		 auth_iq;	/* hash of a pending iq:auth's
						   id, 0: none */
	uint64_t		 t_start;	/* uv_now() at accept, ms */
	uint64_t		 t_last;	/* last byte either way, ms */
	uint64_t		 t_close;	/* close deadline, 0: none */
	uint64_t		 t_connect;	/* backend connect started */
	uint64_t		 pretls_bytes;
	uint64_t		 preauth_bytes;
	unsigned		 closing:1;	/* session_close() called */
	unsigned		 torn_down:1;	/* handles closed */
	unsigned		 authenticated:1;
	unsigned		 direct_tls:1;
	unsigned		 logged_close:1;
	unsigned		 peer_pkix:1;	/* s2s peer chain verified */
	struct session		*next, *prev;	/* the worker's list */
};

/*
 * Session ids count up from base (main: the start time in the high 32
 * bits, so ids stay unique across restarts and sort by time).
 */
void	session_ids_start(uint64_t base);

/* Start a session for a connection accepted on li. */
void	session_accept(struct worker *w, const struct listener *li,
	    uv_stream_t *server);

/*
 * Close gracefully: flush what is queued, send TLS close_notify, wait a
 * bounded time for the peer's.  The first reason is logged.
 */
void	session_close(struct session *s, const char *reason);

/* Close now, without flushing: the peer misbehaved at the TLS layer. */
void	session_abort(struct session *s, const char *reason);

/*
 * Send a stream error to the remote peer (after a header, if none was
 * sent on its current stream), close the backend's stream, then close.
 * text may be NULL.
 */
void	session_stream_error(struct session *s, const char *cond,
	    const char *text, const char *reason);

/* Shut down for a stopping daemon: <system-shutdown/> and close. */
void	session_shutdown(struct session *s);

/* Hold the session's memory across an asynchronous request. */
void	session_ref(struct session *s);
void	session_unref(struct session *s);

/* Start writes of whatever both legs have queued. */
void	session_flush(struct session *s);

/* A leg's handle is closing: tear the session down once both are. */
void	session_leg_closed(struct session *s);

/* Bookkeeping for every close callback of the session's handles. */
void	session_handle_closed(struct session *s);

/* Re-arm the session timer for the nearest deadline. */
void	session_timer_update(struct session *s);

/* The stream type for logs: "c2s", "s2s". */
static inline const char *
session_role(const struct session *s)
{
	return s->role;
}

#endif /* PROXY_SESSION_H */
