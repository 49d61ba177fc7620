#!/usr/bin/env python3
"""Builds a get_book_summary_by_currency(kind=future) body from the real 2025-01-06 BTC tickers.

Each row takes the ticker's own fields: mark_price, estimated_delivery_price, index_price-era stats,
funding_8h (perpetual), and `timestamp` as `creation_timestamp`. Nothing is invented.
Run from tests/data: python3 derived/make_futures_summary.py > derived/deribit_book_summary_future_btc_2025-01-06.json
"""
import glob, json

rows = []
for path in sorted(glob.glob("deribit_ticker_BTC-*_2025-01-06.json")):
    r = json.load(open(path))["result"]
    row = {
        "instrument_name": r["instrument_name"],
        "base_currency": "BTC",
        "quote_currency": "USD",
        "mark_price": r["mark_price"],
        "estimated_delivery_price": r["estimated_delivery_price"],
        "creation_timestamp": r["timestamp"],
        "bid_price": r["best_bid_price"],
        "ask_price": r["best_ask_price"],
        "mid_price": (r["best_bid_price"] + r["best_ask_price"]) / 2,
        "last": r["last_price"],
        "high": r["stats"]["high"],
        "low": r["stats"]["low"],
        "price_change": r["stats"]["price_change"],
        "volume": r["stats"]["volume"],
        "volume_usd": r["stats"]["volume_usd"],
        "volume_notional": r["stats"]["volume_notional"],
        "open_interest": r["open_interest"],
    }
    if "funding_8h" in r:
        row["funding_8h"] = r["funding_8h"]
        row["current_funding"] = r["current_funding"]
    rows.append(row)
print(json.dumps({"jsonrpc": "2.0", "result": rows, "testnet": False}, separators=(",", ":")))
