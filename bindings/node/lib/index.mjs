// The public ES module entry point. It loads the CommonJS entry, so ESM and
// CommonJS users share one native module and one DezkyError class.
import { createRequire } from 'node:module'

const require = createRequire(import.meta.url)
const sdk = require('./index.cjs')

export const {
  FlagSet,
  FlagStore,
  ChangeSubscription,
  bucket,
  previewRollout,
  killSwitch,
  openFeatureReason,
  flagContext,
  parseZoneFile,
  expectedRecords,
  verifyDomain,
  verifyDomains,
  AuthentikClient,
  StripeClient,
  formatMinorUnits,
  parseMajorUnits,
  probeAll,
  OcisClient,
  validateSpaceName,
  StalwartClient,
  TokenVerifier,
  verifyToken,
  requireOwnActiveRecord,
  requireOperator,
  requirePlatformAdmin,
  requireTenantMember,
  requireTenantAdmin,
  requirePartnerStaff,
  requirePartnerTenant,
  requireCanSuspend,
  requireCanForceLogout,
  Provisioner,
  parseTenantSlug,
  newTenant,
  transitionTenant,
  applyTenantPatch,
  DezkyError,
  ErrorCode,
} = sdk
export default sdk
