// The role list lives in core/ (the notify config needs it too); the contract hands it to the API and the browser.
export { RECIPIENT_ROLES, ROLES, type RecipientRole, type Role } from '../../core/roles.js'
