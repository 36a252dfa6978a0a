// The network layer's types (`Endpoint`, `HTTPReply`, `VenueREST`) are part of this module's API.
@_exported import MMNet
