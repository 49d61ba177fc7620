// derivcache's CAF type-ID block. A host application chains its own block after
// caf::id_block::derivcache::end and registers ours with cfg.add_message_types<caf::id_block::derivcache>().
#pragma once

#include <caf/type_id.hpp>

namespace derivcache::quant {
struct second_bar;
} // namespace derivcache::quant

namespace derivcache::messages {
struct basis_point;
struct cm_basis_point;
struct basis_reading;
struct smile_entry;
struct surface_atm;
struct surface_point;
struct surface_tenor;
struct mfiv_expiry_entry;
struct mfiv_record;
struct skew_reading;
struct derivatives_view;
struct cache_contents;
struct derivatives_update;
struct fetcher_status;
struct http_reply;
struct spot_trade;
struct spot_ticker;
struct spot_batch;
struct ws_event;
struct ws_frames;
struct feed_status;
struct input_status;
struct window_features;
struct feature_snapshot;
struct engine_status;
struct actor_info;
struct actors_report;
struct record_request;
struct record_reply;
using spot_bar = quant::second_bar;
struct bar_batch;
struct store_counts;
struct spot_counts;
struct dvol_record;
struct dvol_update;
} // namespace derivcache::messages

CAF_BEGIN_TYPE_ID_BLOCK(derivcache, caf::first_custom_type_id)
  CAF_ADD_TYPE_ID(derivcache, (derivcache::messages::basis_point))
  CAF_ADD_TYPE_ID(derivcache, (derivcache::messages::cm_basis_point))
  CAF_ADD_TYPE_ID(derivcache, (derivcache::messages::basis_reading))
  CAF_ADD_TYPE_ID(derivcache, (derivcache::messages::smile_entry))
  CAF_ADD_TYPE_ID(derivcache, (derivcache::messages::surface_atm))
  CAF_ADD_TYPE_ID(derivcache, (derivcache::messages::surface_point))
  CAF_ADD_TYPE_ID(derivcache, (derivcache::messages::surface_tenor))
  CAF_ADD_TYPE_ID(derivcache, (derivcache::messages::mfiv_expiry_entry))
  CAF_ADD_TYPE_ID(derivcache, (derivcache::messages::mfiv_record))
  CAF_ADD_TYPE_ID(derivcache, (derivcache::messages::skew_reading))
  CAF_ADD_TYPE_ID(derivcache, (derivcache::messages::derivatives_view))
  CAF_ADD_TYPE_ID(derivcache, (derivcache::messages::cache_contents))
  CAF_ADD_TYPE_ID(derivcache, (derivcache::messages::derivatives_update))
  CAF_ADD_TYPE_ID(derivcache, (derivcache::messages::fetcher_status))
  CAF_ADD_TYPE_ID(derivcache, (derivcache::messages::http_reply))
  CAF_ADD_TYPE_ID(derivcache, (derivcache::messages::spot_trade))
  CAF_ADD_TYPE_ID(derivcache, (derivcache::messages::spot_ticker))
  CAF_ADD_TYPE_ID(derivcache, (derivcache::messages::spot_batch))
  CAF_ADD_TYPE_ID(derivcache, (derivcache::messages::ws_event))
  CAF_ADD_TYPE_ID(derivcache, (derivcache::messages::ws_frames))
  CAF_ADD_TYPE_ID(derivcache, (derivcache::messages::feed_status))
  CAF_ADD_TYPE_ID(derivcache, (derivcache::messages::input_status))
  CAF_ADD_TYPE_ID(derivcache, (derivcache::messages::window_features))
  CAF_ADD_TYPE_ID(derivcache, (derivcache::messages::feature_snapshot))
  CAF_ADD_TYPE_ID(derivcache, (derivcache::messages::engine_status))
  CAF_ADD_TYPE_ID(derivcache, (derivcache::messages::actor_info))
  CAF_ADD_TYPE_ID(derivcache, (derivcache::messages::actors_report))
  CAF_ADD_TYPE_ID(derivcache, (derivcache::messages::record_request))
  CAF_ADD_TYPE_ID(derivcache, (derivcache::messages::record_reply))
  CAF_ADD_TYPE_ID(derivcache, (derivcache::messages::spot_bar))
  CAF_ADD_TYPE_ID(derivcache, (derivcache::messages::bar_batch))
  CAF_ADD_TYPE_ID(derivcache, (derivcache::messages::store_counts))
  CAF_ADD_TYPE_ID(derivcache, (derivcache::messages::spot_counts))
  CAF_ADD_TYPE_ID(derivcache, (derivcache::messages::dvol_record))
  CAF_ADD_TYPE_ID(derivcache, (derivcache::messages::dvol_update))
CAF_END_TYPE_ID_BLOCK(derivcache)
