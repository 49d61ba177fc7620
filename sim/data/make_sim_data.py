#!/usr/bin/env python3
"""Derives the simulator's data files from the real BTC option chain of 2026-03-13.

Run from the repository root:  python3 sim/data/make_sim_data.py
Writes sim/data/*.json (except book_summary.BTC.option.json, a symlink to the real chain). The DVOL
candles come from the real BTC DVOL recording (tests/data/deribit_get_volatility_index_data_*.json).
Everything written here is DERIVED (see sim/data/README.md); the build never runs this script.
"""
import calendar, collections, datetime, json, os, re

HERE = os.path.dirname(os.path.abspath(__file__))
CHAIN = os.path.join(HERE, "..", "..", "tests", "data", "deribit_book_summary_option_btc_full_2026-03-13.json")
DVOL = os.path.join(HERE, "..", "..", "tests", "data", "deribit_get_volatility_index_data_result_btc_12h_2026-09.json")
chain = json.load(open(CHAIN))
ENVELOPE = {k: chain[k] for k in ("usIn", "usOut", "usDiff", "testnet")}
rows = chain["result"]
TS = rows[0]["creation_timestamp"]            # 1773428415531
EDP = rows[0]["estimated_delivery_price"]     # 71048.7
PERPETUAL_EXPIRY = 32503708800000
MONTHS = {m.upper(): i for i, m in enumerate(calendar.month_abbr) if m}


def write(name, result):
    body = {"jsonrpc": "2.0", "result": result, **ENVELOPE}
    with open(os.path.join(HERE, name), "w") as f:
        f.write(json.dumps(body, separators=(",", ":")))


def expiry_ms(code):
    m = re.fullmatch(r"(\d{1,2})([A-Z]{3})(\d{2})", code)
    d = datetime.datetime(2000 + int(m[3]), MONTHS[m[2]], int(m[1]), 8, tzinfo=datetime.timezone.utc)
    return int(d.timestamp() * 1000)


def settlement_period(code):
    d = datetime.datetime.fromtimestamp(expiry_ms(code) / 1000, datetime.timezone.utc)
    if d.weekday() != 4:
        return "day"
    return "month" if (d + datetime.timedelta(days=7)).month != d.month else "week"


def strike_text(k):
    s = ("%.4f" % k).rstrip("0").rstrip(".")
    return s.replace(".", "d")


def r(x, digits):
    return None if x is None else round(x, digits)


def split(name):   # BTC-27MAR26-70000-C -> ("27MAR26", 70000.0, "C")
    _, exp, k, cp = name.split("-")
    return exp, float(k), cp


# Forward per expiry: the chain's most frequent underlying_price (ties: the lowest).
by_expiry = collections.defaultdict(list)
for row in rows:
    by_expiry[split(row["instrument_name"])[0]].append(row)
forward, underlying = {}, {}
for exp, rs in by_expiry.items():
    counts = collections.Counter(x["underlying_price"] for x in rs)
    forward[exp] = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))[0][0]
    underlying[exp] = rs[0]["underlying_index"]
futures_expiries = sorted((e for e, u in underlying.items() if u == "BTC-" + e), key=expiry_ms)

# ---- futures --------------------------------------------------------------------------------
FUT_STATS = {"BTC": (2.5, 10.0), "ETH": (0.05, 1.0), "SOL_USDC": (0.001, 1.0), "XRP_USDC": (0.0001, 1.0)}


def future_row(prefix, base, quote, exp, mark, edp, oi, volume):
    tick, _ = FUT_STATS[prefix]
    rt = lambda x: round(round(x / tick) * tick, 6)
    name = prefix + "-" + exp
    row = {"high": rt(mark * 1.012), "low": rt(mark * 0.985), "last": rt(mark), "instrument_name": name,
           "bid_price": rt(mark - tick), "ask_price": rt(mark + tick), "open_interest": oi,
           "mark_price": round(mark, 4), "creation_timestamp": TS, "estimated_delivery_price": edp,
           "price_change": 0.8731, "volume": volume, "base_currency": base, "quote_currency": quote,
           "volume_usd": round(volume * mark, 2), "volume_notional": round(volume * mark, 2),
           "mid_price": rt(mark)}
    if exp == "PERPETUAL":
        row.update({"current_funding": 0.0, "funding_8h": 1.2e-05})
    return row


def futures(prefix, base, quote, scale, expiries, perp_mark):
    out = [future_row(prefix, base, quote, e, forward[e] / scale, round(EDP / scale, 4),
                      round(1.5e8 / scale / (i + 1)), round(900.0 * scale ** 0.5 / (i + 1), 4))
           for i, e in enumerate(expiries)]
    out.append(future_row(prefix, base, quote, "PERPETUAL", perp_mark / scale, round(EDP / scale, 4),
                          round(9.0e8 / scale), round(8000.0 * scale ** 0.5, 4)))
    return out


PERP = round(EDP * 1.00012, 1)
write("book_summary.BTC.future.json", futures("BTC", "BTC", "USD", 1.0, futures_expiries, PERP))
write("book_summary.ETH.future.json", futures("ETH", "ETH", "USD", 35.0, futures_expiries, PERP))
SOL_FUTURES = ["27MAR26", "26JUN26"]
usdc_futures = futures("SOL_USDC", "SOL", "USDC", 800.0, SOL_FUTURES, PERP)
usdc_futures.append(future_row("XRP_USDC", "XRP", "USDC", "PERPETUAL", PERP / 50000.0, round(EDP / 50000.0, 4),
                               2.1e6, 350000.0))
write("book_summary.USDC.future.json", usdc_futures)

# ---- options --------------------------------------------------------------------------------
def derive_options(prefix, base, quote, scale, keep, linear, ul_name, oi_scale, max_per_expiry=None):
    out = []
    for row in rows:
        exp, k, cp = split(row["instrument_name"])
        f = forward[exp]
        if not keep(k) or not 0.5 * f <= k <= 2.0 * f:
            continue
        ksc = k / scale
        conv = (lambda p: None if p is None else round(p * row["underlying_price"] / scale, 4)) if linear else (lambda p: p)
        new = dict(row)
        new["instrument_name"] = "%s-%s-%s-%s" % (prefix, exp, strike_text(ksc), cp)
        for fld in ("mark_price", "bid_price", "ask_price", "mid_price", "last", "high", "low"):
            new[fld] = conv(row[fld])
        new["underlying_price"] = round(row["underlying_price"] / scale, 4)
        new["underlying_index"] = ul_name(exp, row["underlying_index"])
        new["estimated_delivery_price"] = round(EDP / scale, 4)
        new["open_interest"] = round(row["open_interest"] * oi_scale, 1)
        new["volume"] = round(row["volume"] * oi_scale, 1)
        new["base_currency"], new["quote_currency"] = base, quote
        out.append(new)
    return out


eth_ul = lambda exp, u: u.replace("BTC", "ETH")
write("book_summary.ETH.option.json",
      derive_options("ETH", "ETH", "ETH", 35.0, lambda k: k % 1750 == 0, False, eth_ul, 35.0))


def sol_ul(exp, u):
    if exp in SOL_FUTURES:
        return "SOL_USDC-" + exp
    return "SYN.SOL_USDC-" + exp


# SOL strikes every 5 (BTC multiples of 4000) plus the 2.5 steps ("87d5") near the money.
sol = derive_options("SOL_USDC", "SOL", "USDC", 800.0,
                     lambda k: k % 4000 == 0 or (k % 2000 == 0 and 64000 <= k <= 78000), True, sol_ul, 80.0)
xrp = [x for x in derive_options("XRP_USDC", "XRP", "USDC", 50000.0, lambda k: k % 5000 == 0, True,
                                 lambda e, u: "SYN.XRP_USDC-" + e, 50.0)
       if x["instrument_name"].split("-")[1] == "27MAR26"
       and 1.2 <= float(x["instrument_name"].split("-")[2].replace("d", ".")) <= 1.6]
write("book_summary.USDC.option.json", sol + xrp)

# ---- instruments ----------------------------------------------------------------------------
next_id = [500000]


def instrument(summary_row, kind, price_index, linear, contract_size, tick):
    name = summary_row["instrument_name"]
    parts = name.split("-")
    exp = parts[1]
    base, quote = summary_row["base_currency"], summary_row["quote_currency"]
    settle = "USDC" if linear else base
    next_id[0] += 1
    # The fields a market-data client reads; commissions, block-trade and leverage fields are left out.
    item = {"price_index": price_index, "kind": kind, "min_trade_amount": 0.1 if kind == "option" else contract_size,
            "is_active": True, "instrument_name": name, "instrument_type": "linear" if linear else "reversed",
            "expiration_timestamp": PERPETUAL_EXPIRY if exp == "PERPETUAL" else expiry_ms(exp),
            "contract_size": contract_size, "tick_size": tick, "base_currency": base,
            "instrument_id": next_id[0], "creation_timestamp": 1765526400000,
            "settlement_period": "perpetual" if exp == "PERPETUAL" else settlement_period(exp),
            "settlement_currency": settle, "counter_currency": "USDC" if linear else "USD",
            "quote_currency": quote, "state": "open"}
    if kind == "option":
        item["option_type"] = "call" if parts[3] == "C" else "put"
        item["strike"] = float(parts[2].replace("d", "."))
    return item


SPECS = {  # prefix -> price_index, linear, future contract size/tick, option contract size/tick
    "BTC": ("btc_usd", False, (10.0, 2.5), (1.0, 0.0001)),
    "ETH": ("eth_usd", False, (1.0, 0.05), (1.0, 0.0001)),
    "SOL_USDC": ("sol_usdc", True, (1.0, 0.001), (10.0, 0.01)),
    "XRP_USDC": ("xrp_usdc", True, (1.0, 0.0001), (1000.0, 0.0001)),
}


def instruments_for(summary, kind):
    out = []
    for row in summary:
        prefix = row["instrument_name"].split("-")[0]
        pi, linear, fut, opt = SPECS[prefix]
        cs, tick = fut if kind == "future" else opt
        out.append(instrument(row, kind, pi, linear, cs, tick))
    return out


def load(name):
    return json.load(open(os.path.join(HERE, name)))["result"]


for cur in ("BTC", "ETH", "USDC"):
    for kind in ("future", "option"):
        summary = rows if (cur, kind) == ("BTC", "option") else load("book_summary.%s.%s.json" % (cur, kind))
        write("instruments.%s.%s.json" % (cur, kind), instruments_for(summary, kind))

# ---- index prices and currencies -------------------------------------------------------------
for index, scale in (("btc_usd", 1.0), ("btc_usdc", 1.0), ("eth_usd", 35.0), ("eth_usdc", 35.0),
                     ("sol_usdc", 800.0), ("xrp_usdc", 50000.0)):
    p = round(EDP / scale, 4)
    write("index_price.%s.json" % index, {"index_price": p, "estimated_delivery_price": p})


def currency(code, long_name, coin_type, fee):
    return {"coin_type": coin_type, "currency": code, "currency_long": long_name, "fee_precision": 4,
            "min_confirmations": 1, "min_withdrawal_fee": fee, "withdrawal_fee": fee,
            "withdrawal_priorities": []}


write("currencies.json", [currency("BTC", "Bitcoin", "BITCOIN", 0.0001),
                          currency("ETH", "Ethereum", "ETHER", 0.0015),
                          currency("USDC", "USD Coin", "ETHER", 2.0)])

# ---- DVOL (get_volatility_index_data) ----------------------------------------------------------
# The 15 real 12-hour BTC DVOL candles, values unchanged, re-stamped one minute apart so that the newest
# starts at the chain's minute (2026-03-13T19:00Z): a resolution-60 answer at the chain's time. ETH gets the
# same values: the derived ETH chain keeps the BTC mark_iv of every moneyness, so its implied vols are BTC's.
real_candles = json.load(open(DVOL))["data"]
last_minute = TS // 60000 * 60000
dvol = {"data": [[last_minute - 60000 * (len(real_candles) - 1 - i)] + c[1:] for i, c in enumerate(real_candles)],
        "continuation": None}
for cur in ("BTC", "ETH"):
    write("volatility_index.%s.json" % cur, dvol)
