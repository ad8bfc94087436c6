-- Argo CD health for gateway-worker's kinds (Certificate, WafRuleSet, RouteConfig, NotificationChannel,
-- NotificationPolicy).
-- It follows kstatus, as Flux does: a spec the controller has not yet observed is Progressing;
-- Stalled=True, or Ready=False for a reason retrying cannot fix, is Degraded; Ready=True is
-- Healthy, unless the gateways run a temporary certificate or rejected the latest version.
-- Written for Argo CD's Lua 5.1 (gopher-lua).
local hs = { status = "Progressing", message = "Waiting for gateway-worker to reconcile" }

-- Reasons on Ready=False that need a person, not time.
local terminal = {
  Invalid = true, TestsFailed = true, Conflicted = true, Rejected = true,
  Failed = true, RefNotFound = true, InvalidSpec = true,
}

local function condition(conditions, kind)
  if conditions == nil then return nil end
  for _, c in ipairs(conditions) do
    if c.type == kind then return c end
  end
  return nil
end

local status = obj.status
if status == nil then return hs end

local generation = obj.metadata and obj.metadata.generation
if generation ~= nil and status.observedGeneration ~= generation then
  hs.message = "Waiting for gateway-worker to observe generation " .. tostring(generation)
  return hs
end

local conditions = status.conditions
local stalled = condition(conditions, "Stalled")
if stalled ~= nil and stalled.status == "True" then
  hs.status = "Degraded"
  hs.message = stalled.message or stalled.reason or "Stalled"
  return hs
end

local ready = condition(conditions, "Ready")
if ready == nil or ready.status == "Unknown" then
  if ready ~= nil and ready.message ~= nil then hs.message = ready.message end
  return hs
end

if ready.status == "False" then
  hs.message = ready.message or ready.reason or "Not ready"
  if terminal[ready.reason] then hs.status = "Degraded" end
  return hs
end

local temporary = condition(conditions, "Temporary")
if temporary ~= nil and temporary.status == "True" then
  hs.status = "Degraded"
  hs.message = temporary.message or "Serving a temporary self-signed certificate"
  return hs
end

local synced = condition(conditions, "Synced")
if synced ~= nil and synced.status == "False" then
  hs.status = synced.reason == "Rejected" and "Degraded" or "Progressing"
  hs.message = synced.message or synced.reason or "Not every gateway applied the latest version"
  return hs
end

hs.status = "Healthy"
hs.message = ready.message or "Ready"
return hs
