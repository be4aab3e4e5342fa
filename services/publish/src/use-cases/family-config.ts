export { loadFamilyConfig, type StoredConfig as PublishFamilyConfig } from '@ami-lifecycle/core';
