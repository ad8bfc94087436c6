/**
 * The event types are part of the API (policies name them, receivers route on them), so their
 * registry lives with the schemas; the notifier reads it from here.
 */
export * from '../../api/v1alpha1/notification-event-types.js';
