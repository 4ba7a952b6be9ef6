# Consuming an amibake golden image from Terraform. Each recipe's newest image id is in the SSM
# parameter of its lifecycle (default /<prefix>/<recipe>/latest), in every region it is copied to.

terraform {
  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = ">= 5.0"
    }
  }
}

variable "golden_parameter" {
  description = "The recipe's lifecycle.parameter"
  type        = string
  default     = "/amibake/ecs-al2023/latest"
}

# Resolved by EC2 at every launch: a new golden image reaches the next instance of the
# template without a Terraform change (an Auto Scaling instance refresh replaces the others).
resource "aws_launch_template" "nodes" {
  name_prefix   = "ecs-nodes-"
  image_id      = "resolve:ssm:${var.golden_parameter}"
  instance_type = "t3.small"

  metadata_options {
    http_tokens = "required"
  }
}

# Resolved at plan time instead: each new golden image shows in the plan as a change to review.
data "aws_ssm_parameter" "golden" {
  name = var.golden_parameter
}

resource "aws_instance" "pinned" {
  ami           = data.aws_ssm_parameter.golden.insecure_value
  instance_type = "t3.small"

  metadata_options {
    http_tokens = "required"
  }
}
