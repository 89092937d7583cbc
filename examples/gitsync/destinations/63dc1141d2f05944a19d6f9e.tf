import {
  to = segment_destination.id-63dc1141d2f05944a19d6f9e
  id = "63dc1141d2f05944a19d6f9e"
}

resource "segment_destination" "id-63dc1141d2f05944a19d6f9e" {
  enabled = false
  metadata = {
    id = "5f7dd6d21ad74f3842b1fc47"
  }
  name      = "Amplitude (Actions)"
  settings  = "{\"apiKey\":\"••••••••••7d35\",\"endpoint\":\"north_america\",\"secretKey\":\"••••••••••1c1f\"}"
  source_id = "qW3xR8tY2uI9oP1aS4dF"
}
