import {
  to = segment_destination.id-64acf4667eac8c9dfe9d2b69
  id = "64acf4667eac8c9dfe9d2b69"
}

resource "segment_destination" "id-64acf4667eac8c9dfe9d2b69" {
  enabled = true
  metadata = {
    id = "54521fd525e721e32a72ee91"
  }
  name      = "Amplitude (production)"
  settings  = "{\"apiKey\":\"••••••••••7d35\",\"appendFieldsToEventProps\":{},\"batchEvents\":false,\"deviceIdFromUrlParam\":false,\"enableLocationListening\":true,\"endpoint\":\"north_america\",\"eventUploadPeriodMillis\":30000,\"eventUploadThreshold\":30,\"forceHttps\":true,\"groupTypeTrait\":\"account_type\",\"groupValueTrait\":\"name\",\"mapQueryParams\":{},\"preferAnonymousIdForDeviceId\":false,\"saveParamsReferrerOncePerSession\":true,\"secretKey\":\"••••••••••1c1f\",\"sendAlias\":true,\"sendToBatchEndpoint\":false,\"trackAllPages\":false,\"trackAllPagesV2\":true,\"trackCategorizedPages\":true,\"trackGclid\":false,\"trackNamedPages\":true,\"trackProductsOnce\":false,\"trackReferrer\":true,\"trackRevenuePerProduct\":false,\"trackSessionEvents\":false,\"trackUtmProperties\":true,\"traitsToAppend\":[],\"traitsToIncrement\":[\"logins\"],\"traitsToPrepend\":[],\"traitsToSetOnce\":[\"first_seen\",\"created_at\"],\"unsetParamsReferrerOnNewSession\":false,\"useAdvertisingIdForDeviceId\":false,\"useAmplitudeReferral\":false,\"useCustomAmplitudeProperties\":false,\"useLogRevenueV2\":true,\"versionName\":\"\"}"
  source_id = "qW3xR8tY2uI9oP1aS4dF"
}
