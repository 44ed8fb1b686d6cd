-- wrk script: request tiles from a list (one path per line in TILE_LIST), round-robin per thread.
local paths = {}
local counter = 0
init = function(args)
  local f = assert(io.open(os.getenv("TILE_LIST"), "r"))
  for line in f:lines() do paths[#paths + 1] = line end
  f:close()
  counter = math.random(#paths)
end
request = function()
  counter = counter % #paths + 1
  return wrk.format("GET", paths[counter])
end
