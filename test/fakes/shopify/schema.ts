/**
 * The part of Shopify's GraphQL Admin API schema, version 2026-04, that the Shopify recipe calls: written
 * from the public reference (shopify.dev/docs/api/admin-graphql/2026-04) for the names and types of the
 * fields, arguments, input objects and enums it uses; everything else is left out. Every document the fake
 * receives is validated against it, so a misspelt field, a wrong argument type or a missing non-null input
 * fails as the real API fails it.
 */
import { buildSchema, type GraphQLSchema } from 'graphql';

export const API_VERSION = '2026-04';

export const SCHEMA_SDL = /* GraphQL */ `
  "Makes a mutation idempotent (required on the inventory mutations as of 2026-04)."
  directive @idempotent(key: String!) on FIELD

  scalar DateTime
  scalar URL

  type Query {
    inventoryItem(id: ID!): InventoryItem
    location(id: ID): Location
    order(id: ID!): Order
  }

  type Mutation {
    inventorySetQuantities(input: InventorySetQuantitiesInput!): InventorySetQuantitiesPayload
    fulfillmentCreate(fulfillment: FulfillmentInput!, message: String): FulfillmentCreatePayload
  }

  type InventoryItem {
    id: ID!
    sku: String
    tracked: Boolean!
    inventoryLevel(locationId: ID!): InventoryLevel
  }

  type InventoryLevel {
    id: ID!
    location: Location!
    quantities(names: [String!]!): [InventoryQuantity!]!
    updatedAt: DateTime!
  }

  type InventoryQuantity {
    id: ID!
    name: String!
    quantity: Int!
    updatedAt: DateTime
  }

  type Location {
    id: ID!
    name: String!
  }

  input InventorySetQuantitiesInput {
    name: String!
    reason: String!
    referenceDocumentUri: URL
    quantities: [InventoryQuantityInput!]!
    ignoreCompareQuantity: Boolean
  }

  input InventoryQuantityInput {
    inventoryItemId: ID!
    locationId: ID!
    quantity: Int!
    changeFromQuantity: Int
    compareQuantity: Int
  }

  type InventorySetQuantitiesPayload {
    inventoryAdjustmentGroup: InventoryAdjustmentGroup
    userErrors: [InventorySetQuantitiesUserError!]!
  }

  type InventoryAdjustmentGroup {
    id: ID!
    createdAt: DateTime!
    reason: String!
    referenceDocumentUri: URL
    changes(quantityNames: [String!]): [InventoryChange!]!
  }

  type InventoryChange {
    name: String!
    delta: Int!
    quantityAfterChange: Int
  }

  type InventorySetQuantitiesUserError {
    code: InventorySetQuantitiesUserErrorCode
    field: [String!]
    message: String!
  }

  enum InventorySetQuantitiesUserErrorCode {
    CHANGE_FROM_QUANTITY_STALE
    COMPARE_QUANTITY_REQUIRED
    COMPARE_QUANTITY_STALE
    IDEMPOTENCY_CONCURRENT_REQUEST
    IDEMPOTENCY_KEY_PARAMETER_MISMATCH
    IDEMPOTENCY_PREVIOUS_ATTEMPT_FAILED
    INVALID_INVENTORY_ITEM
    INVALID_LOCATION
    INVALID_NAME
  }

  type Order {
    id: ID!
    name: String!
    fulfillmentOrders(first: Int, after: String): FulfillmentOrderConnection!
  }

  type FulfillmentOrderConnection {
    nodes: [FulfillmentOrder!]!
  }

  type FulfillmentOrder {
    id: ID!
    status: FulfillmentOrderStatus!
    assignedLocation: FulfillmentOrderAssignedLocation!
    lineItems(first: Int, after: String): FulfillmentOrderLineItemConnection!
  }

  enum FulfillmentOrderStatus {
    CANCELLED
    CLOSED
    INCOMPLETE
    IN_PROGRESS
    ON_HOLD
    OPEN
    SCHEDULED
  }

  type FulfillmentOrderAssignedLocation {
    name: String!
    location: Location
  }

  type FulfillmentOrderLineItemConnection {
    nodes: [FulfillmentOrderLineItem!]!
  }

  type FulfillmentOrderLineItem {
    id: ID!
    remainingQuantity: Int!
    totalQuantity: Int!
    sku: String
    lineItem: LineItem!
  }

  type LineItem {
    id: ID!
    sku: String
    quantity: Int!
  }

  input FulfillmentInput {
    lineItemsByFulfillmentOrder: [FulfillmentOrderLineItemsInput!]!
    notifyCustomer: Boolean
    trackingInfo: FulfillmentTrackingInput
    originAddress: FulfillmentOriginAddressInput
  }

  input FulfillmentOrderLineItemsInput {
    fulfillmentOrderId: ID!
    fulfillmentOrderLineItems: [FulfillmentOrderLineItemInput!]
  }

  input FulfillmentOrderLineItemInput {
    id: ID!
    quantity: Int!
  }

  input FulfillmentTrackingInput {
    company: String
    number: String
    numbers: [String!]
    url: URL
    urls: [URL!]
  }

  input FulfillmentOriginAddressInput {
    address1: String
    address2: String
    city: String
    countryCode: String!
    provinceCode: String
    zip: String
  }

  type FulfillmentCreatePayload {
    fulfillment: Fulfillment
    userErrors: [UserError!]!
  }

  type Fulfillment {
    id: ID!
    status: FulfillmentStatus!
    trackingInfo(first: Int): [FulfillmentTrackingInfo!]!
  }

  enum FulfillmentStatus {
    CANCELLED
    ERROR
    FAILURE
    OPEN
    PENDING
    SUCCESS
  }

  type FulfillmentTrackingInfo {
    company: String
    number: String
    url: URL
  }

  type UserError {
    field: [String!]
    message: String!
  }
`;

export function shopifySchema(): GraphQLSchema {
  return buildSchema(SCHEMA_SDL);
}
