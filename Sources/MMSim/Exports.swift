@_exported import MMSimCore
