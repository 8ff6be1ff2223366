"""The Lua scripts of the Redis story index (story_index_redis.py): its read and its
commit, each one atomic step on Redis; the keys and arguments they take are named above each."""

from __future__ import annotations

from typing import Final

from services.enricher.story_scoring import CHANNEL_OF

# Features travel joined by newlines, one argument (packing and parsing hundreds of
# arguments and replies was most of the client's time); the index's `_joined` keeps each
# newline-free.
SPLIT: Final = """
local function split(joined)
  local out = {}
  for item in string.gmatch(joined, '[^\\n]+') do table.insert(out, item) end
  return out
end
"""

# KEYS: version, changed, story, article, df, then one posting key per query feature.
# ARGV: read version ('' = unchecked), the story's size before, profile JSON, story id,
# ttl (s), story's last time, posting floor, posting cap, kept versions, the query
# features, every feature to count.
COMMIT: Final = (
    SPLIT
    + """
local known = redis.call('GET', KEYS[4])
if known then return {'replayed', known} end
local query = split(ARGV[10])
local current = tonumber(redis.call('GET', KEYS[1]) or '0')
if ARGV[1] ~= '' then
  local read = tonumber(ARGV[1])
  if read < current - tonumber(ARGV[9]) then return {'conflict'} end
  for i = 1, #query do
    local changed = redis.call('ZSCORE', KEYS[2], query[i])
    if changed and tonumber(changed) > read then return {'conflict'} end
  end
  local stored = redis.call('GET', KEYS[3])
  local size = 0
  if stored then size = cjson.decode(stored)['size'] end
  if size ~= tonumber(ARGV[2]) then return {'conflict'} end
end
local ttl = tonumber(ARGV[5])
local version = redis.call('INCR', KEYS[1])
redis.call('SET', KEYS[3], ARGV[3], 'EX', ttl)
redis.call('SET', KEYS[4], ARGV[4], 'EX', ttl)
for i = 1, #query do
  local key = KEYS[5 + i]
  redis.call('ZADD', key, ARGV[6], ARGV[4])
  redis.call('ZREMRANGEBYSCORE', key, '-inf', '(' .. ARGV[7])
  redis.call('ZREMRANGEBYRANK', key, 0, -tonumber(ARGV[8]) - 1)
  redis.call('EXPIRE', key, ttl)
  redis.call('ZADD', KEYS[2], version, query[i])
end
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', '(' .. (version - tonumber(ARGV[9])))
for _, feature in ipairs(split(ARGV[11])) do redis.call('HINCRBY', KEYS[5], feature, 1) end
redis.call('HINCRBY', KEYS[5], '#', 1)
redis.call('EXPIRE', KEYS[5], ttl)
return {'committed', ARGV[4]}
"""
)

# The `size` first of `items` in the order `before` (strict and total), as sorting them all
# and cutting would give, at a fraction of the comparisons: once `size` are kept, most
# items are out at one (sorting the 512 stories of 16 postings was a third of the read).
FIRST: Final = """
local function first(items, size, before)
  local top = {}
  if size < 1 then return top end
  for _, item in ipairs(items) do
    local n = #top
    if n < size or before(item, top[n]) then
      if n == size then
        top[n] = nil
        n = n - 1
      end
      while n > 0 and before(item, top[n]) do
        top[n + 1] = top[n]
        n = n - 1
      end
      top[n + 1] = item
    end
  end
  return top
end
"""

# The candidates' ranking: the stories under each query feature (KEYS[i], QUERY[i] its
# weight), most shared weight first (expired ones left out): their ids joined by newlines
# and their profiles as one JSON array (two replies to parse, not two per story).
# ARGV: posting floor, stories read per posting, candidates, the story key prefix.
RANKED: Final = """
local function ranked(KEYS, QUERY, ARGV)
  local shared = {}
  local ids = {}
  for i = 1, #KEYS do
    local weight = QUERY[i]
    local posted = redis.call('ZREVRANGEBYSCORE', KEYS[i], '+inf', ARGV[1], 'LIMIT', 0, ARGV[2])
    for _, story in ipairs(posted) do
      if not shared[story] then
        shared[story] = 0
        table.insert(ids, story)
      end
      shared[story] = shared[story] + weight
    end
  end
  local top = first(ids, tonumber(ARGV[3]), function(a, b)
    if shared[a] ~= shared[b] then return shared[a] > shared[b] end
    return a > b
  end)
  local ids, profiles = {}, {}
  for i = 1, #top do
    local profile = redis.call('GET', ARGV[4] .. top[i])
    if profile then
      table.insert(ids, top[i])
      table.insert(profiles, profile)
    end
  end
  return {table.concat(ids, '\\n'), '[' .. table.concat(profiles, ',') .. ']'}
end
"""

# The article's query from its raw weights and the counts read: story_scoring's
# `tfidf_vector` and `heaviest`, operation for operation in the same order, so that its
# weights come out the same doubles (the assigner checks, and reads again if not).
QUERY_WEIGHING: Final = (
    "local CHANNEL = {"
    + ", ".join(f"['{prefix}'] = '{name}'" for prefix, name in CHANNEL_OF.items())
    + "}"
    + """
local function weighed(features, raw, counts, size)
  local documents = counts[1]
  local vector, members, channels = {}, {}, {}
  for i = 1, #features do
    vector[i] = tonumber(raw[i]) * (math.log((documents + 1) / (counts[i + 1] + 1)) + 1.0)
    local name = CHANNEL[string.sub(features[i], 1, 1)]
    if not members[name] then
      members[name] = {}
      table.insert(channels, name)
    end
    table.insert(members[name], i)
  end
  local order = {}
  for _, name in ipairs(channels) do
    local squares = 0
    for _, i in ipairs(members[name]) do squares = squares + vector[i] * vector[i] end
    local norm = math.sqrt(squares)
    if norm ~= 0 then
      for _, i in ipairs(members[name]) do
        vector[i] = vector[i] / norm
        table.insert(order, i)
      end
    end
  end
  -- heapq.nlargest: heaviest first, the earlier of equal ones first.
  local place = {}
  for p, i in ipairs(order) do place[i] = p end
  local query = first(order, size, function(a, b)
    if vector[a] ~= vector[b] then return vector[a] > vector[b] end
    return place[a] < place[b]
  end)
  return query, vector
end
"""
)

# KEYS: version, the article's entry, the duplicated article's entry, the df buckets now
# and before. ARGV: the features, their raw weights, the posting key prefix, the key parts
# of the features whose key is not their name ("position=part"), the query size, then
# `RANKED`'s. Returns the version, the two stories ('' for none), the document count then
# each feature's, comma-joined; unless the article has a story: the query's positions
# among the features and its weights (17 digits: exact), comma-joined, and the candidates.
SNAPSHOT: Final = (
    SPLIT
    + FIRST
    + RANKED
    + QUERY_WEIGHING
    + """
local features = split(ARGV[1])
local now = redis.call('HMGET', KEYS[4], '#', unpack(features))
local before = redis.call('HMGET', KEYS[5], '#', unpack(features))
local counts = {}
for i = 1, #now do counts[i] = (tonumber(now[i]) or 0) + (tonumber(before[i]) or 0) end
local story = redis.call('GET', KEYS[2]) or ''
local out = {
  redis.call('GET', KEYS[1]) or '0',
  story,
  redis.call('GET', KEYS[3]) or '',
  table.concat(counts, ','),
}
if story ~= '' then return out end
local query, vector = weighed(features, split(ARGV[2]), counts, tonumber(ARGV[5]))
local parts = {}
for _, item in ipairs(split(ARGV[4])) do
  local position, part = string.match(item, '^(%d+)=(.*)$')
  parts[tonumber(position)] = part
end
local keys, weights, written = {}, {}, {}
for p, i in ipairs(query) do
  keys[p] = ARGV[3] .. (parts[i] or features[i])
  weights[p] = vector[i]
  written[p] = string.format('%.17g', vector[i])
end
table.insert(out, table.concat(query, ','))
table.insert(out, table.concat(written, ','))
local found = ranked(keys, weights, {ARGV[6], ARGV[7], ARGV[8], ARGV[9]})
table.insert(out, found[1])
table.insert(out, found[2])
return out
"""
)

# KEYS: one posting key per query feature. ARGV: `RANKED`'s, then the query's weights.
# The assigner's second read when the snapshot's query was not its own.
CANDIDATES_READ: Final = (
    FIRST
    + RANKED
    + """
local weights = {}
for i = 1, #KEYS do weights[i] = tonumber(ARGV[4 + i]) end
return ranked(KEYS, weights, ARGV)
"""
)
