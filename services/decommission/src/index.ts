// The decommission service's public surface.
export * from './use-cases/holds';
