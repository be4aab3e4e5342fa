// The bounded catalog pager lives with the catalog; the build service's use cases import it from here.
export { listAll } from '@ami-lifecycle/catalog';
