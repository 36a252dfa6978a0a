#!/usr/bin/env bash
# The environment variables the engine and its scripts read. Source it, then fill in the values from your
# secret store, e.g.:
#   source scripts/env_setup.sh
#   export BINANCE_API_KEY="$(pass show binance/api-key)"
# This file holds names only; never write a key or secret into it, into configs/, or into a command line.

# Binance API credentials for `mm run` against a real venue (live trading also needs `dryRun: false`
# in the configuration and `mm run --live`).
export BINANCE_API_KEY="${BINANCE_API_KEY:-}"
export BINANCE_API_SECRET="${BINANCE_API_SECRET:-}"

# Credentials of the account `mm sim` lets trade (without them it creates and prints a demo account).
export MM_SIM_API_KEY="${MM_SIM_API_KEY:-}"
export MM_SIM_API_SECRET="${MM_SIM_API_SECRET:-}"

# Any configuration key can be overridden as MM_<SECTION>_<KEY>, e.g.:
#   export MM_RISK_NETMAX=0.02
#   export MM_STRATEGY_MODEL=glft

# Instead of BINANCE_API_SECRET: an Ed25519 key (Binance's recommended key type), as a PKCS#8 PEM file
# made with `openssl genpkey -algorithm ed25519 -out key.pem` (register its public key with Binance).
export BINANCE_API_PRIVATE_KEY_FILE="${BINANCE_API_PRIVATE_KEY_FILE:-}"
