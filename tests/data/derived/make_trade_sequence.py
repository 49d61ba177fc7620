#!/usr/bin/env python3
"""Writes trades_seeded_btcusdt.csv: a small aggTrade sequence for the rolling-feature tests.

Trade times are chosen by hand to hit the window edges (one trade exactly at the 1-minute cutoff,
seconds without trades inside both windows); prices, quantities, sides and trade-id spans come
from random.Random(20240611), so the file is reproducible: python3 make_trade_sequence.py
"""
import random

T0 = 1700000000000
OFFSETS_MS = [1000, 2500, 2600, 30200, 30900, 31100, 60000, 62500]

rng = random.Random(20240611)
rows = ["T_ms,price,quantity,first_trade_id,last_trade_id,buyer_is_maker"]
trade_id = 1000
for off in OFFSETS_MS:
    price = 100 + rng.randint(-50, 50) / 100
    qty = rng.randint(1, 2000) / 1000
    span = rng.randint(1, 3)
    maker = rng.random() < 0.5
    rows.append(f"{T0 + off},{price:.2f},{qty:.3f},{trade_id},{trade_id + span - 1},{'true' if maker else 'false'}")
    trade_id += span
with open("trades_seeded_btcusdt.csv", "w") as f:
    f.write("\n".join(rows) + "\n")
