// Typed actor interfaces of derivcache: what each actor accepts and answers.
#pragma once

#include "messages/chain.hpp"
#include "messages/feed.hpp"
#include "messages/http.hpp"
#include "messages/readings.hpp"
#include "messages/status.hpp"
#include "messages/store.hpp"
#include "messages/type_ids.hpp"

#include <caf/actor.hpp>
#include <caf/atom.hpp>
#include <caf/replies_to.hpp>
#include <caf/typed_actor.hpp>

namespace derivcache::messages {

using subscribe_atom = caf::atom_constant<caf::atom("subscribe")>;
using refresh_atom = caf::atom_constant<caf::atom("refresh")>;
using cycle_done_atom = caf::atom_constant<caf::atom("cycledone")>;
using restart_atom = caf::atom_constant<caf::atom("restart")>;
using status_atom = caf::atom_constant<caf::atom("status")>;

/// Receives every reading the cache accepts, as the view the cache now holds for that currency.
using cache_subscriber_actor = caf::typed_actor<caf::reacts_to<derivatives_update>>;

/// Holds the latest readings per currency; answers at once, never blocks; pushes updates to subscribers.
using cache_holder_actor = caf::typed_actor<
  caf::reacts_to<basis_reading>,                                   ///< replace a currency's basis
  caf::reacts_to<skew_reading>,                                    ///< replace a currency's skew
  caf::reacts_to<dvol_update>,                                     ///< replace a currency's DVOL
  caf::replies_to<caf::get_atom, std::string>::with<derivatives_view>,   ///< one currency, ages now
  caf::replies_to<caf::get_atom>::with<cache_contents>,            ///< every currency
  caf::reacts_to<subscribe_atom, cache_subscriber_actor>>;         ///< monitored; dropped when it dies

/// Turns a fetched chain into a reading (basis or skew) and sends it to the cache.
using calculator_actor = caf::typed_actor<caf::reacts_to<chain_ptr>>;

/// Fetches every currency's chains once at start and every interval; exits with a derivcache::errc
/// (rate_limited, network_failure, unavailable) so its supervisor restarts it with backoff.
using deribit_fetcher_actor = caf::typed_actor<
  caf::reacts_to<caf::tick_atom>,      ///< timer: start a cycle
  caf::reacts_to<refresh_atom>,        ///< start a cycle now (if none is running)
  caf::reacts_to<http_reply>>;         ///< a request finished (sent from the I/O thread)

/// Spawns and monitors the fetcher, restarts it with exponential backoff, reports its health.
using fetch_supervisor_actor = caf::typed_actor<
  caf::reacts_to<cycle_done_atom>,                                 ///< from the fetcher: a complete good cycle
  caf::reacts_to<restart_atom, uint64_t>,                          ///< timer: respawn (generation-checked)
  caf::reacts_to<refresh_atom>,                                    ///< ask a running fetcher for a cycle now
  caf::replies_to<caf::get_atom, status_atom>::with<fetcher_status>>;

using capture_atom = caf::atom_constant<caf::atom("capture")>;
using stall_atom = caf::atom_constant<caf::atom("stall")>;
using rotate_atom = caf::atom_constant<caf::atom("rotate")>;

/// Connects to the Binance combined stream, decodes frames and forwards them in batches to the
/// collector; reconnects after a drop (jittered backoff), a stall, a serverShutdown and before 24 h.
using binance_feed_actor = caf::typed_actor<
  caf::reacts_to<ws_event>,                                        ///< from the I/O thread
  caf::reacts_to<ws_frames>,                                       ///< from the I/O thread
  caf::reacts_to<restart_atom, uint64_t>,                          ///< timer: connect (generation-checked)
  caf::reacts_to<stall_atom, uint64_t>,                            ///< timer: data watchdog of a connection
  caf::reacts_to<rotate_atom, uint64_t>,                           ///< timer: replace a connection before 24 h
  caf::replies_to<caf::get_atom, status_atom>::with<feed_status>>;

using flush_atom = caf::atom_constant<caf::atom("flush")>;
using retry_atom = caf::atom_constant<caf::atom("retry")>;
using maintain_atom = caf::atom_constant<caf::atom("maintain")>;

/// Owns the SQLite feature/label store (store.path): records snapshots (replying only after COMMIT; one
/// transaction per batch of queued writes), keeps the 1-second bars and labels outcomes on a timer.
using store_actor = caf::typed_actor<
  caf::replies_to<record_request, feature_snapshot>::with<record_reply>,   ///< store a captured snapshot
  caf::reacts_to<bar_batch>,                                       ///< closed bars from the collector
  caf::reacts_to<flush_atom>,                                      ///< self: commit the queued writes
  caf::reacts_to<retry_atom>,                                      ///< self, delayed: try a failed write again
  caf::reacts_to<maintain_atom>,                                   ///< timer: retention deletes, WAL checkpoint
  caf::reacts_to<caf::tick_atom>,                                  ///< timer: label due outcomes
  caf::replies_to<caf::get_atom, status_atom>::with<store_counts>>;

/// Per symbol spot features over rolling windows plus the latest derivatives readings of its currency;
/// answers snapshots at once from local state. Also a cache subscriber.
using feature_collector_actor = caf::typed_actor<
  caf::replies_to<spot_batch>::with<uint64_t>,                     ///< from the feed; replies with the records
                                                                   ///< taken (the feed sends the next batch then)
  caf::reacts_to<derivatives_update>,                              ///< from the cache holder
  caf::reacts_to<cache_contents>,                                  ///< initial cache contents
  caf::reacts_to<caf::tick_atom>,                                  ///< timer: write periodic snapshots
  caf::replies_to<capture_atom, std::string /*symbol*/>::with<feature_snapshot>,
  caf::replies_to<record_request>::with<record_reply>,             ///< capture + store; error when the store is off
  caf::replies_to<caf::get_atom, status_atom>::with<spot_counts>>; ///< what was accepted and what was bad input

using actors_atom = caf::atom_constant<caf::atom("actors")>;
using feed_atom = caf::atom_constant<caf::atom("feed")>;
using control_atom = caf::atom_constant<caf::atom("control")>;
using record_atom = caf::atom_constant<caf::atom("record")>;
using store_atom = caf::atom_constant<caf::atom("store")>;

/// The gateway (actors/introspection.hpp): published through the middleman (127.0.0.1 unless configured),
/// the only actor a remote node reaches. Read-only unless allow-control / allow-record. Subscribers are
/// actors (local or remote) that accept `derivatives_update`: the gateway re-sends the cache holder's updates
/// to them; they are monitored and capped by introspection.max-subscribers.
using introspection_actor = caf::typed_actor<
  caf::replies_to<status_atom>::with<engine_status>,
  caf::replies_to<actors_atom>::with<actors_report>,
  caf::replies_to<caf::get_atom>::with<cache_contents>,
  caf::replies_to<feed_atom>::with<feed_status>,                         ///< Binance feed; error when off
  caf::replies_to<subscribe_atom, caf::actor>::with<caf::ok_atom>,       ///< error when at the cap
  caf::replies_to<control_atom, refresh_atom>::with<caf::ok_atom>,       ///< error unless allow-control
  caf::replies_to<record_atom, record_request>::with<record_reply>,      ///< error unless allow-record
  caf::replies_to<store_atom>::with<store_counts>,                       ///< error when the store is off
  caf::reacts_to<derivatives_update>>;   ///< from the cache holder only: re-sent to the subscribers

/// Answers GET /metrics (Prometheus text), /healthz (200 or 503 JSON) and /snapshot?symbol=X (JSON)
/// through each call's reply callback; anything else 404. Local only.
using metrics_endpoint_actor = caf::typed_actor<caf::reacts_to<http_call>>;

} // namespace derivcache::messages
