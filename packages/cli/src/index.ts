export { type AmictlDeps, type ExitCode, runAmictl } from './amictl';
export { type AmictlCommand, BUILD_REASONS, CliUsageError, parseAmictlArgs, USAGE } from './args';
