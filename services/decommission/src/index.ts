// The decommission service's public surface.
