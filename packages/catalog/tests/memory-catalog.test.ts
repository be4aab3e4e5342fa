import { InMemoryCatalog } from '@ami-lifecycle/catalog';
import { describeCatalogContract } from './catalog-contract';

describeCatalogContract('InMemoryCatalog', async () => new InMemoryCatalog());
