# main.tf
terraform {
  required_version = ">= 1.0"
  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = "~> 5.0"
    }
  }
  
  backend "s3" {
    bucket = "personal-system-terraform-state"
    key    = "infrastructure/terraform.tfstate"
    region = "us-east-1"
  }
}

provider "aws" {
  region = var.aws_region
  
  default_tags {
    tags = {
      Project     = "personal-system"
      Environment = var.environment
      ManagedBy   = "terraform"
    }
  }
}

module "database" {
  source = "./modules/database"
  
  environment = var.environment
  db_name     = var.db_name
  db_username = var.db_username
  db_password = var.db_password
}

module "compute" {
  source = "./modules/compute"
  
  environment = var.environment
  vpc_id      = module.networking.vpc_id
  subnet_ids  = module.networking.private_subnet_ids
}

module "networking" {
  source = "./modules/networking"
  
  environment = var.environment
  vpc_cidr    = var.vpc_cidr
}
